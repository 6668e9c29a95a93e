"""Statements whose QUERY_TYPE is one of Snowflake's own names for them are parsed.

Snowflake publishes no list of QUERY_TYPE values; SQL run against real accounts classifies rows as
``CREATE_STREAM``, ``CREATE_TASK``, ``CREATE_ICEBERG_TABLE`` (object inventories) and
``RENAME_COLUMN``, ``ALTER_TABLE_ADD_COLUMN|MODIFY_COLUMN|DROP_COLUMN``, ``RESTORE`` (audits of
DDL). The crawl parsed only its own list of materializing types, so these rows were skipped as
"not materializing" without a word: a stream (and every path through it), a task's INSERT, an
Iceberg CTAS, a column rename and an UNDROP were all missing, on the file source and on the
Snowflake source (whose SQL filters on the same list).
"""

from __future__ import annotations

from pathlib import Path

from tests.review.history import crawled, terminals


def test_snowflake_query_types_of_lineage_statements_are_parsed(tmp_path: Path) -> None:
    rows = [
        ("09:00", "CREATE_TABLE", "create table db.s.pii (id int, email varchar)"),
        ("09:01", "CREATE_STREAM", "create stream db.s.st on table db.s.pii"),
        ("09:02", "INSERT", "insert into db.s.from_stream select email from db.s.st"),
        ("09:03", "CREATE_TASK",
         "create task db.s.tk warehouse = wh schedule = '5 minute' as insert into db.s.by_task select email from db.s.pii"),
        ("09:04", "CREATE_ICEBERG_TABLE", "create iceberg table db.s.ice as select email from db.s.pii"),
        ("09:05", "CREATE_TABLE_AS_SELECT", "create table db.s.renamed as select id, email from db.s.pii"),
        ("09:06", "RENAME_COLUMN", "alter table db.s.renamed rename column email to contact"),
        ("09:07", "CREATE_TABLE_AS_SELECT", "create table db.s.after_rename as select contact from db.s.renamed"),
        ("09:08", "CREATE_TABLE_AS_SELECT", "create table db.s.dropped as select email from db.s.pii"),
        ("09:09", "DROP", "drop table db.s.dropped"),
        ("09:10", "RESTORE", "undrop table db.s.dropped"),
    ]
    config = crawled(tmp_path, rows)
    found = {terminal for _, terminal in terminals(config)}
    assert {"db.s.from_stream.email", "db.s.by_task.email", "db.s.ice.email", "db.s.renamed.contact",
            "db.s.after_rename.contact", "db.s.dropped.email"} <= found, found
