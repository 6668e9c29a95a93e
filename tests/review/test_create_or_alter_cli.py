"""Snowflake ``CREATE OR ALTER`` keeps the object's data: it is not a replace.

Snowflake ("CREATE OR ALTER <object>"): the commands "maintain data and associations, meaning
that data and other states, tag associations and attached policies, and privilege grants on the
object are preserved". sqlglot parses ``CREATE OR ALTER`` as ``CREATE OR REPLACE``, so the crawl
closed every upstream of the table (``CREATE OR ALTER TABLE``) or of every table in the schema
(``CREATE OR ALTER SCHEMA``, read as a replaced, emptied container), and the copies of PII they
hold were no longer reported; a masking policy set on the table ended too.
"""

from __future__ import annotations

from pathlib import Path

from tests.review.history import crawled, terminals

BASE = [
    ("09:00", "CREATE_TABLE", "create table db.s.pii (id int, email varchar)"),
    ("09:01", "CREATE_TABLE_AS_SELECT", "create table db.s.copy as select id, email from db.s.pii"),
    ("09:02", "CREATE_TABLE_AS_SELECT", "create table db.x.other as select email from db.s.pii"),
]
EXPOSED = {("db.s.pii.email", "db.s.copy.email"), ("db.s.pii.email", "db.x.other.email")}


def test_create_or_alter_table_and_schema_keep_the_copies(tmp_path: Path) -> None:
    rows = [*BASE,
            ("09:03", "CREATE_TABLE", "create or alter table db.s.copy (id int, email varchar, note varchar)"),
            ("09:04", "CREATE_SCHEMA", "create or alter schema db.x comment = 'exports'"),
            ("09:05", "CREATE_DATABASE", "create or alter database db")]
    config = crawled(tmp_path / "alter", rows)
    assert terminals(config) == EXPOSED
    assert terminals(config, "--as-of", "2026-05-04T09:30:00Z") == EXPOSED


def test_create_or_replace_still_replaces(tmp_path: Path) -> None:
    rows = [*BASE,
            ("09:03", "CREATE_TABLE", "create or replace table db.s.copy (id int, email varchar, note varchar)"),
            ("09:04", "CREATE_SCHEMA", "create or replace schema db.x")]
    config = crawled(tmp_path / "replace", rows)
    assert terminals(config) == set()


def test_create_or_alter_keeps_the_masking_policy(tmp_path: Path) -> None:
    policy = ("create masking policy mp as (val string) returns string -> "
              "case when current_role() in ('ADMIN') then val else '***' end")
    rows = [*BASE[:2],
            ("09:02", "CREATE_MASKING_POLICY", policy),
            ("09:03", "ALTER_TABLE", "alter table db.s.copy modify column email set masking policy mp"),
            ("09:04", "CREATE_TABLE", "create or alter table db.s.copy (id int, email varchar, note varchar)"),
            # the policy still masks the column: what ADMIN-less TRANSFORMER inserts later is masked there
            ("09:05", "INSERT", "insert into db.s.copy (id, email) select id, email from db.s.pii")]
    config = crawled(tmp_path / "policy", rows)
    assert terminals(config) == set()
