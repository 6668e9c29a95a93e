"""A policy created under the name of a renamed one does not type the tag's policy (review s15 T11, a false negative).

The tag ``pii`` takes ``pii_mask (val date)``. ``alter masking policy pii_mask rename to pii_mask_date`` keeps
the assignment (Snowflake "ALTER MASKING POLICY": the tag holds the policy object, now named
``pii_mask_date``); a new ``pii_mask (val string)`` is another policy, not on the tag. Versioning so is how a
signature is changed (a signature cannot be altered). The tag's policy was typed from the new ``pii_mask``
(STRING) and taken to mask the VARCHAR copy of the e-mails in ``db.s.t.c``.
"""

from __future__ import annotations

from pathlib import Path

from tests.review.history import EMAIL_PII, Row, crawled, scan_paths, terminals

STRING_MASK = ("create masking policy pii_mask as (val string) returns string -> "
               "case when current_role() in ('PII_ADMIN') then val else '***' end")
ROWS: list[Row] = [
    ("09:00", "CREATE_TABLE", "create table db.s.pii (id int, email varchar, dob date)"),
    ("09:01", "CREATE_MASKING_POLICY", "create masking policy pii_mask as (val date) returns date -> "
                                       "case when current_role() in ('PII_ADMIN') then val else null end"),
    ("09:01:01", "ALTER_TAG", "alter tag pii set masking policy pii_mask"),
    ("09:03", "CREATE_TABLE", "create table db.s.t (c varchar)"),
    ("09:03:30", "INSERT", "insert into db.s.t select email from db.s.pii"),
    ("09:04", "ALTER_TABLE", "alter table db.s.t set tag pii = 'x'"),
    ("09:06", "ALTER_MASKING_POLICY", "alter masking policy pii_mask rename to pii_mask_date"),
    ("09:07", "CREATE_MASKING_POLICY", STRING_MASK),
]
PATH = ("db.s.pii.email", "db.s.t.c")


def test_a_new_policy_under_a_renamed_policys_name_does_not_mask_the_tags_columns(tmp_path: Path) -> None:
    config = crawled(tmp_path, ROWS, EMAIL_PII)
    notes = {(p["origin"], p["terminal"]): p.get("note") or "" for p in scan_paths(config)}
    assert PATH in notes, notes
    assert "another signature" in notes[PATH], notes[PATH]


def test_a_new_policy_of_the_same_signature_type_changes_nothing(tmp_path: Path) -> None:
    registry = EMAIL_PII.replace("DB.S.PII.EMAIL", "DB.S.PII.DOB")
    rows = [*ROWS[:3], ("09:03", "CREATE_TABLE", "create table db.s.t (d date)"),
            ("09:03:30", "INSERT", "insert into db.s.t select dob from db.s.pii"), *ROWS[5:7],
            ("09:07", "CREATE_MASKING_POLICY", ROWS[1][2].replace("(val date)", "(val date, cond varchar)"))]
    assert ("db.s.pii.dob", "db.s.t.d") not in terminals(crawled(tmp_path, rows, registry))  # DATE: masked
