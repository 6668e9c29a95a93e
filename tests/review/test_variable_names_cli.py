"""Tables named by ``TABLE('...')`` are read, and names held by session variables are a counted gap.

Snowflake ("Literals and variables as identifiers"): in FROM, ``TABLE('db.s.pii')`` and
``IDENTIFIER('db.s.pii')`` name the table; ``TABLE($src)`` / ``IDENTIFIER($src)`` name whatever
the session variable held. sqlglot reads ``TABLE(...)`` as a row-producing function, so a copy
made through ``TABLE('db.s.pii')`` had no upstream at all; a copy through a variable had a
``dynamic_sql`` problem that only lowered confidence: the statement was merged as a table with no
upstream and nothing said that a path was missing (no quarantine entry, no "not seen").
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli_run import run_cli
from tests.review.history import crawled, terminals


def test_table_literal_is_read_and_variables_are_counted(tmp_path: Path) -> None:
    rows = [
        ("09:00", "CREATE_TABLE", "create table db.s.pii (id int, email varchar)"),
        ("09:01", "CREATE_TABLE_AS_SELECT", "create table db.s.by_literal as select email from table('db.s.pii')"),
        ("09:02", "CREATE_TABLE_AS_SELECT", "create table db.s.by_identifier as select p.email from identifier('pii') p"),
        ("09:03", "SET", "set src = 'db.s.pii'"),
        ("09:04", "CREATE_TABLE_AS_SELECT", "create table db.s.by_variable as select email from identifier($src)"),
        ("09:05", "INSERT", "insert into db.s.by_table_variable select email from table($src)"),
    ]
    config = crawled(tmp_path, rows)
    assert terminals(config) == {("db.s.pii.email", "db.s.by_literal.email"),
                                 ("db.s.pii.email", "db.s.by_identifier.email")}
    quarantined = json.loads(run_cli(config, "quarantine", "--format", "json").stdout)
    assert {(q["query_id"], q["reason_code"]) for q in quarantined} == {("q004", "dynamic_sql"), ("q005", "dynamic_sql")}
    assert "not seen: 2 quarantined" in run_cli(config, "scan").stdout
