"""Where a column's data type is not what a plain copy suggests, a tag's policy is not taken to mask it
(review s14 of O1, through the installed CLI).

Rule 6 (README "tag-based masking"): a tag's masking policy masks a column only when the policy's
signature type and the column's type match. The column's type was inferred wrongly, so a STRING (or
DATE) policy was taken to mask a column of another type, a false negative:

* R13: a copy collapsed through a session temp took the source's type, not the temp's (a typed
  temp, filled by an INSERT that casts);
* R14: a view column kept its base column's type at the view's creation, though a view is live;
* R17: an unrelated INSERT ending the instant another table's CTAS copy ended was taken as that copy
  renamed, and got its type;
* R5: ``CREATE TABLE IF NOT EXISTS`` on a table that exists (a no-op) restated its column types;
* R1: a cast in a CTAS (``email::variant``, ``CAST(email AS DATE)``) was typed as a plain copy;
* R2: a ``UNION`` column whose other branch is a literal was typed from its column branch.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli_run import run_cli
from tests.review.history import Row, crawled, terminals

REGISTRY = """assets:
  - {catalog_path: DB.S.PII.EMAIL, classification: restricted, regulatory_tags: [pii], steward: dpo}
  - {catalog_path: DB.S.PII.DOB, classification: restricted, regulatory_tags: [pii], steward: dpo}
"""
PII: Row = ("09:00", "CREATE_TABLE", "create table db.s.pii (id int, email varchar, dob date, ssn number)")


def _tag_policy(name: str, data_type: str, null: str) -> list[Row]:
    return [("09:01", "CREATE_MASKING_POLICY",
             f"create masking policy {name} as (val {data_type}) returns {data_type} -> "
             f"case when current_role() in ('PII_ADMIN') then val else {null} end"),
            ("09:02", "ALTER_TAG", f"alter tag pii set masking policy {name}")]


STRING_TAG = _tag_policy("str_mask", "string", "'***'")
DATE_TAG = _tag_policy("date_mask", "date", "null")

CASES: dict[str, tuple] = {  # rows, then the (origin, terminal) paths expected open
    "R2_union_with_a_literal": (STRING_TAG + [
        ("09:03", "CREATE_TABLE_AS_SELECT", "create table db.s.u as select email as c from db.s.pii union all select 42"),
        ("09:05", "ALTER_TABLE", "alter table db.s.u set tag pii = 'x'"),  # u.c: the branches' common type
    ], ("db.s.pii.email", "db.s.u.c")),
    "R1_cast_in_ctas": (STRING_TAG + [
        ("09:03", "CREATE_TABLE_AS_SELECT", "create table db.s.t1 as select email::variant as c from db.s.pii"),
        ("09:03:10", "CREATE_TABLE_AS_SELECT", "create table db.s.t2 as (select cast(email as date) c from db.s.pii)"),
        ("09:05", "ALTER_TABLE", "alter table db.s.t1 set tag pii = 'x'"),
        ("09:05:01", "ALTER_TABLE", "alter table db.s.t2 set tag pii = 'x'"),
    ], ("db.s.pii.email", "db.s.t1.c"), ("db.s.pii.email", "db.s.t2.c")),
    "R13_typed_temp": (DATE_TAG + [
        ("09:03", "CREATE_TABLE", "create temporary table tmp (c varchar)"),
        ("09:03:10", "INSERT", "insert into tmp select dob from db.s.pii"),  # Snowflake casts the dates
        ("09:03:20", "CREATE_TABLE_AS_SELECT", "create table db.s.t as select c from tmp"),  # t.c is VARCHAR
        ("09:05", "ALTER_TABLE", "alter table db.s.t set tag pii = 'x'"),
    ], ("db.s.pii.dob", "db.s.t.c")),
    "R14_live_view": (STRING_TAG + [
        ("09:03", "CREATE_TABLE_AS_SELECT", "create table db.s.base as select email as c from db.s.pii"),
        ("09:03:20", "CREATE_VIEW", "create view db.s.v as select c from db.s.base"),
        ("09:04", "CREATE_TABLE_AS_SELECT", "create or replace table db.s.base as select dob as c from db.s.pii"),
        ("09:05", "ALTER_VIEW", "alter view db.s.v set tag pii = 'x'"),  # v.c is DATE now
    ], ("db.s.pii.dob", "db.s.v.c")),
    "R17_same_instant_insert": (STRING_TAG + [
        ("09:03", "CREATE_TABLE_AS_SELECT", "create table db.s.a as select email as c from db.s.pii"),
        ("09:04", "CREATE_TABLE_AS_SELECT", "create or replace table db.s.a as select id as c from db.s.pii"),
        ("09:04", "INSERT", "insert into db.s.b (c) select email from db.s.pii",
         {"session_id": "99", "user_name": "LOADER"}),  # b was made outside the history: its type is not known
        ("09:05", "ALTER_TABLE", "alter table db.s.b set tag pii = 'x'"),
    ], ("db.s.pii.email", "db.s.b.c")),
    "R5_if_not_exists": (STRING_TAG + [
        ("09:03", "CREATE_TABLE", "create table db.s.t (c date)"),
        ("09:03:30", "INSERT", "insert into db.s.t select dob from db.s.pii"),
        ("09:04", "ALTER_TABLE", "alter table db.s.t set tag pii = 'x'"),
        ("09:06", "CREATE_TABLE", "create table if not exists db.s.t (c varchar)"),  # t exists: a no-op
    ], ("db.s.pii.dob", "db.s.t.c")),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_column_of_another_type_than_the_tag_policy_is_exposed(tmp_path: Path, case: str) -> None:
    rows, *paths = CASES[case]
    config = crawled(tmp_path, [PII, *rows], REGISTRY)
    assert set(paths) <= terminals(config)


def test_a_plain_copy_renamed_keeps_its_type_and_stays_masked(tmp_path: Path) -> None:
    """The control: a CTAS copy of a VARCHAR column, renamed, is VARCHAR; the tag's STRING policy masks it."""
    rows = STRING_TAG + [
        ("09:03", "CREATE_TABLE_AS_SELECT", "create table db.s.a as select email as c from db.s.pii"),
        ("09:04", "ALTER_TABLE", "alter table db.s.a rename to db.s.a2"),
        ("09:05", "ALTER_TABLE", "alter table db.s.a2 set tag pii = 'x'"),
        ("09:06", "CREATE_TABLE_AS_SELECT", "create table db.s.s as select email::string as c from db.s.pii"),
        ("09:07", "ALTER_TABLE", "alter table db.s.s set tag pii = 'x'"),  # cast to its own type: still VARCHAR
    ]
    config = crawled(tmp_path, [PII, *rows], REGISTRY)
    found = terminals(config)
    assert ("db.s.pii.email", "db.s.a2.c") not in found and ("db.s.pii.email", "db.s.s.c") not in found


def test_the_unmasked_window_ends_when_the_types_match(tmp_path: Path) -> None:
    """Review s14 R6: the tag's policy had a DATE signature until 09:10, when it became STRING; the
    VARCHAR copy made at 09:03:30 was clear until 09:10, not until the tag was set at 09:04."""
    rows = _tag_policy("str_mask", "date", "null") + [
        ("09:03", "CREATE_TABLE", "create table db.s.t (e varchar)"),
        ("09:03:30", "INSERT", "insert into db.s.t select email from db.s.pii"),
        ("09:04", "ALTER_TABLE", "alter table db.s.t set tag pii = 'x'"),
        ("09:10", "CREATE_MASKING_POLICY", "create or replace masking policy str_mask as (val string) returns string -> "
                                           "case when current_role() in ('PII_ADMIN') then val else '***' end"),
    ]
    config = crawled(tmp_path, [PII, *rows], REGISTRY)
    out = run_cli(config, "scan").stdout
    assert "db.s.pii.email → db.s.t.e unmasked from 2026-05-04T09:03:30Z to 2026-05-04T09:10:00Z" in out, out

