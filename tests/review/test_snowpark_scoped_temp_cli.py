"""Snowpark's ``CREATE SCOPED TEMPORARY TABLE`` is a temporary table like any other.

Snowpark (``DataFrame.cache_result()``, stored procedures) creates its session objects as
``CREATE [OR REPLACE] SCOPED TEMPORARY TABLE|VIEW "SNOWPARK_TEMP_TABLE_…"``. sqlglot 30.22
rejects ``SCOPED``: the statement was quarantined as unsupported with no lineage recovered, so a
DataFrame pipeline's copy of PII written through its temporary table was missing.
"""

from __future__ import annotations

from pathlib import Path

from tests.review.history import crawled, terminals


def test_scoped_temporary_table_is_collapsed_into_the_copy(tmp_path: Path) -> None:
    rows = [
        ("09:00", "CREATE_TABLE", "create table db.s.pii (id int, email varchar)"),
        ("09:01", "CREATE_TABLE_AS_SELECT",
         'CREATE  SCOPED TEMPORARY  TABLE "SNOWPARK_TEMP_TABLE_9K2LQ" AS  SELECT "ID", "EMAIL" FROM ( SELECT * FROM db.s.pii)'),
        ("09:02", "CREATE_VIEW",
         'CREATE OR REPLACE SCOPED TEMPORARY VIEW "SNOWPARK_TEMP_VIEW_7XQ" AS SELECT "EMAIL" FROM "SNOWPARK_TEMP_TABLE_9K2LQ"'),
        ("09:03", "CREATE_TABLE_AS_SELECT",
         'CREATE  OR  REPLACE  TABLE db.s.features AS  SELECT  *  FROM ( SELECT "EMAIL" FROM "SNOWPARK_TEMP_VIEW_7XQ")'),
    ]
    config = crawled(tmp_path, rows)
    assert terminals(config) == {("db.s.pii.email", "db.s.features.email")}
