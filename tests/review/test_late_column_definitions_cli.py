"""Columns are learned in the order rows are read: a DDL read late is said, never silent.

``insert into t select id, email from pii`` names t's columns from what the crawl learned of t.
When the ``create or replace table t (uid int, mail varchar)`` that ended before that INSERT is
read after it (a file out of END_TIME order), the INSERT was given t's older columns (``id``,
``email``) where END_TIME order gives ``uid``, ``mail``. The crawl cannot name them exactly
without reading the rows again in END_TIME order; it keeps the column lineage it read (the
e-mails stay a finding, under the older name) and counts the row, so the answer is not
presented as exact. A file in END_TIME order gives no such count.
"""

from __future__ import annotations

from pathlib import Path

from tests.cli_run import run_cli
from tests.review.history import install, terminals

ROWS = [
    ("09:00", "CREATE_TABLE", "create table db.s.pii (id int, email varchar)"),
    ("09:01", "CREATE_TABLE", "create table db.s.t (id int, email varchar)"),
    ("09:05", "INSERT", "insert into db.s.t select id, email from db.s.pii"),
    ("09:03", "CREATE_TABLE", "create or replace table db.s.t (uid int, mail varchar)"),
]
MESSAGE = "statements defining a dataset's columns (CREATE, CTAS, RENAME, SWAP, DROP) ended before"


def test_a_late_definition_is_counted(tmp_path: Path) -> None:
    config = install(tmp_path / "late", ROWS)
    output = run_cli(config, "crawl").stdout
    assert f"1 {MESSAGE}" in output, output
    assert terminals(config)  # the e-mails in t are still reported (under the column name read)


def test_end_time_order_is_not_counted(tmp_path: Path) -> None:
    config = install(tmp_path / "ordered", sorted(ROWS, key=lambda row: row[0]))
    output = run_cli(config, "crawl").stdout
    assert MESSAGE not in output, output
    assert terminals(config) == {("db.s.pii.email", "db.s.t.mail")}
