"""A re-run ``CREATE OR REPLACE`` keeps the types and tags it states again (review s15 T10, a false positive).

A scheduled DDL or a dbt model re-runs ``create or replace table t (c varchar)`` (or a CTAS) and
its post-hook sets the tag again: Snowflake drops a replaced table's tags, the new table has the
column type the statement gives and the tag set after it. The crawl stated the batch's facts first,
merging a restated value into the row holding it before the replace, then ended that row at the
replace: the new type and the re-set tag were gone, and the copy was an open HIGH finding "type not
known" after every second run (with a batch holding the whole history; one row per batch was right).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.review.history import EMAIL_PII, Row, crawled, terminals

REGISTRY = EMAIL_PII
BASE: list[Row] = [
    ("09:00", "CREATE_TABLE", "create table db.s.pii (id int, email varchar)"),
    ("09:01", "CREATE_MASKING_POLICY", "create masking policy str_mask as (val string) returns string -> "
                                       "case when current_role() in ('PII_ADMIN') then val else '***' end"),
    ("09:02", "ALTER_TAG", "alter tag pii set masking policy str_mask"),
]
DDL = [("09:03", "CREATE_TABLE", "create or replace table db.s.t (c varchar)"),
       ("09:03:10", "INSERT", "insert into db.s.t select email from db.s.pii"),
       ("09:04", "ALTER_TABLE", "alter table db.s.t set tag pii = 'x'"),
       ("09:10", "CREATE_TABLE", "create or replace table db.s.t (c varchar)"),
       ("09:10:10", "INSERT", "insert into db.s.t select email from db.s.pii"),
       ("09:10:30", "ALTER_TABLE", "alter table db.s.t set tag pii = 'x'")]
CTAS = [("09:03", "CREATE_TABLE_AS_SELECT", "create or replace table db.s.t as select email as c from db.s.pii"),
        ("09:04", "ALTER_TABLE", "alter table db.s.t set tag pii = 'x'"),
        ("09:10", "CREATE_TABLE_AS_SELECT", "create or replace table db.s.t as select email as c from db.s.pii"),
        ("09:10:30", "ALTER_TABLE", "alter table db.s.t set tag pii = 'x'")]
PATH = ("db.s.pii.email", "db.s.t.c")


@pytest.mark.parametrize("rows", [DDL, CTAS], ids=["create_table", "ctas"])
def test_a_rerun_replace_keeps_what_it_states_again(tmp_path: Path, rows: list[Row]) -> None:
    config = crawled(tmp_path, [*BASE, *rows], REGISTRY)  # one batch holds the whole history
    assert PATH not in terminals(config)  # a VARCHAR column tagged again: masked (before: open, type not known)
    assert PATH in terminals(config, "--as-of", "2026-05-04T09:10:20Z")  # between the replace and the re-tag
    assert PATH not in terminals(config, "--as-of", "2026-05-04T09:05:00Z")
