"""``INSERT OVERWRITE ALL|FIRST`` truncates every target before inserting.

Snowflake "INSERT (multi-table)": ``OVERWRITE`` truncates the target tables first. sqlglot
reads the word and drops it, so the multi-table insert was applied as an add: a table that
once held e-mails and was overwritten with names stayed reported (a false positive), as a
single-table ``INSERT OVERWRITE`` is not.
"""

from __future__ import annotations

from pathlib import Path

from tests.review.history import crawled, terminals

PII = "db.s.pii.email"


def test_insert_overwrite_all_replaces_its_targets(tmp_path: Path) -> None:
    config = crawled(tmp_path, [
        ("09:00", "CREATE_TABLE", "create table db.s.pii (id int, email varchar, name varchar)"),
        ("09:01", "CREATE_TABLE", "create table db.s.a (x varchar)"),
        ("09:01:30", "CREATE_TABLE", "create table db.s.b (y varchar)"),
        ("09:02", "MULTI_TABLE_INSERT",
         "insert all into db.s.a (x) values (email) into db.s.b (y) values (email) select email from db.s.pii"),
        ("09:03", "MULTI_TABLE_INSERT",
         "insert overwrite all into db.s.a (x) values (name) select name from db.s.pii"),
    ])
    assert terminals(config) == {(PII, "db.s.b.y")}
