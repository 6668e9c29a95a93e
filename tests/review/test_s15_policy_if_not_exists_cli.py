"""``CREATE MASKING POLICY IF NOT EXISTS`` on an existing policy changes nothing (review s15 T2, a false negative).

Deploy scripts re-run ``create masking policy if not exists …`` with a text that may have drifted from
the live policy. Snowflake leaves an existing policy as it is (a signature cannot even be altered:
"ALTER MASKING POLICY"); the crawl took the no-op's signature: the tag's DATE policy became a STRING
one and a VARCHAR copy of the e-mails counted as masked from then on.
"""

from __future__ import annotations

from pathlib import Path

from tests.cli_run import run_cli
from tests.review.history import EMAIL_PII, Row, crawled, scan_paths, terminals

REGISTRY = EMAIL_PII
ROWS: list[Row] = [
    ("09:00", "CREATE_TABLE", "create table db.s.pii (id int, email varchar, dob date)"),
    ("09:01", "CREATE_MASKING_POLICY", "create masking policy pii_mask as (val date) returns date -> "
                                       "case when current_role() in ('PII_ADMIN') then val else null end"),
    ("09:01:01", "ALTER_TAG", "alter tag pii set masking policy pii_mask"),
    ("09:03", "CREATE_TABLE", "create table db.s.t (c varchar)"),
    ("09:03:30", "INSERT", "insert into db.s.t select email from db.s.pii"),
    ("09:04", "ALTER_TABLE", "alter table db.s.t set tag pii = 'x'"),
    ("09:06", "CREATE_MASKING_POLICY", "create masking policy if not exists pii_mask as (val string) returns string -> "
                                       "case when current_role() in ('PII_ADMIN') then val else '***' end"),
]
PATH = ("db.s.pii.email", "db.s.t.c")


def test_if_not_exists_on_an_existing_policy_is_a_no_op(tmp_path: Path) -> None:
    config = crawled(tmp_path, ROWS, REGISTRY)
    assert PATH in terminals(config)  # the tag's only policy is DATE: the VARCHAR copy is clear
    assert PATH in terminals(config, "--as-of", "2026-05-04T09:07:00Z")
    # scan says why, as the ledger does (review s15 T9: its JSON and CSV rows had no note)
    for args in ((), ("--as-of", "2026-05-04T09:07:00Z")):
        row = next(r for r in scan_paths(config, *args) if (r["origin"], r["terminal"]) == PATH)
        assert "data type" in (row["note"] or ""), row
    assert "data type" in run_cli(config, "scan", "--format", "csv").stdout


def test_if_not_exists_creates_a_policy_that_did_not_exist(tmp_path: Path) -> None:
    creates = ("09:01", ROWS[-1][1], ROWS[-1][2])  # the IF NOT EXISTS text first: no DATE policy before it
    rows = [ROWS[0], creates, *ROWS[2:-1]]
    config = crawled(tmp_path, rows, REGISTRY)
    assert PATH not in terminals(config)  # a STRING policy on the tag masks the VARCHAR column
