"""A CTAS column keeps its type when an INSERT or MERGE copies the same column again (review s14 R4),
through the installed CLI.

dbt incremental models run a CTAS first and ``insert into … select …`` (or ``merge``) after. The
copy interval of the CTAS then ends with the INSERT, and rule 6 (a column copied unchanged has its
upstream's type) only looked at the interval's last statement: the model's column lost its type,
and a tag's STRING policy that masks it was taken not to (an over-report, a note saying "not a plain
copy"). The type still goes when the table is replaced by a statement that does not give it.
"""

from __future__ import annotations

from pathlib import Path

from tests.review.history import EMAIL_PII, Row, crawled, terminals

REGISTRY = EMAIL_PII
BASE: list[Row] = [
    ("09:00", "CREATE_TABLE", "create table db.s.pii (id int, email varchar)"),
    ("09:01", "CREATE_MASKING_POLICY", "create masking policy str_mask as (val string) returns string -> "
                                       "case when current_role() in ('PII_ADMIN') then val else '***' end"),
    ("09:02", "ALTER_TAG", "alter tag pii set masking policy str_mask"),
    ("09:03", "CREATE_TABLE_AS_SELECT", "create table db.s.t as select id, email as e from db.s.pii"),
    ("09:03:10", "CREATE_TABLE_AS_SELECT", "create table db.s.m as select id, email from db.s.pii"),
]
PATHS = {("db.s.pii.email", "db.s.t.e"), ("db.s.pii.email", "db.s.m.email")}


def test_an_insert_or_merge_after_the_ctas_keeps_its_type(tmp_path: Path) -> None:
    rows = [*BASE,
            ("09:04", "INSERT", "insert into db.s.t select id, email from db.s.pii"),
            ("09:04:10", "MERGE", "merge into db.s.m using db.s.pii p on m.id = p.id when matched then update set "
                                  "email = p.email when not matched then insert (id, email) values (p.id, p.email)"),
            ("09:05", "ALTER_TABLE", "alter table db.s.t set tag pii = 'x'"),
            ("09:05:10", "ALTER_TABLE", "alter table db.s.m set tag pii = 'x'")]
    config = crawled(tmp_path, rows, REGISTRY)
    assert not PATHS & terminals(config)  # VARCHAR columns under a STRING policy: masked (before: open)
    assert not PATHS & terminals(config, "--as-of", "2026-05-04T09:06:00Z")


def test_a_replace_that_does_not_give_the_type_ends_it(tmp_path: Path) -> None:
    """t is replaced from a table made outside the history, then filled from pii.email again: its type
    is not known any more (an INSERT sets none), so the tag's policy is not taken to mask it."""
    rows = [*BASE,
            ("09:04", "INSERT", "insert into db.s.t select id, email from db.s.pii"),
            ("09:05", "ALTER_TABLE", "alter table db.s.t set tag pii = 'x'"),
            ("09:06", "CREATE_TABLE_AS_SELECT", "create or replace table db.s.t as select id, c as e from db.s.legacy"),
            ("09:06:30", "INSERT", "insert into db.s.t select id, email from db.s.pii"),
            ("09:07", "ALTER_TABLE", "alter table db.s.t set tag pii = 'x'")]
    config = crawled(tmp_path, rows, REGISTRY)
    assert ("db.s.pii.email", "db.s.t.e") in terminals(config)
    assert ("db.s.pii.email", "db.s.t.e") not in terminals(config, "--as-of", "2026-05-04T09:05:30Z")
