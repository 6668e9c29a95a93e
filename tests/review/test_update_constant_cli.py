"""``UPDATE t SET c = 'constant'`` without WHERE overwrites every row's ``c``: its old lineage ends.

After ``create table t as select id, email from pii`` and ``update t set email = 'redacted'``
(no WHERE), no row of t holds an e-mail, yet the column edge ``t.email <- pii.email`` stays open
and t.email is reported (a false positive; a copy made before the UPDATE still holds them).
Now an UPDATE without WHERE (nor LIMIT, nor JOIN) records the columns it overwrites in every row
with a value that does not read the column itself, and the graph closes their other incoming
column edges at its instant (a column-level replace). With a WHERE, or a value computed from the
old one, the lineage stays (a superset, never a lost path). Before the UPDATE the e-mails were there.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli_run import export_edges, run_cli
from tests.review.history import crawled, terminals

ROWS = [
    ("09:00", "CREATE_TABLE", "create table db.s.pii (id int, email varchar)"),
    ("09:01", "CREATE_TABLE_AS_SELECT", "create table db.s.t as select id, email from db.s.pii"),
    ("09:02", "CREATE_TABLE_AS_SELECT", "create table db.s.before as select id, email from db.s.t"),
    ("09:03", "UPDATE", "update db.s.t set email = 'redacted'"),
]


def test_before_the_update(tmp_path: Path) -> None:
    config = crawled(tmp_path, ROWS)
    assert terminals(config, "--as-of", "2026-05-04T09:02:30Z") == {
        ("db.s.pii.email", "db.s.t.email"), ("db.s.pii.email", "db.s.before.email")}


def test_update_to_a_constant_ends_the_columns_lineage(tmp_path: Path) -> None:
    config = crawled(tmp_path, ROWS)
    assert terminals(config) == {("db.s.pii.email", "db.s.before.email")}
    assert terminals(config, "--as-of", "2026-05-04T09:02:30Z") == {  # as of before: still there
        ("db.s.pii.email", "db.s.t.email"), ("db.s.pii.email", "db.s.before.email")}


@pytest.mark.parametrize("update", [
    "update db.s.t set email = 'redacted' where id = 7",  # some rows only
    "update db.s.t set email = lower(email)",  # the new value derives from the old
    "update db.s.t set email = email || 'x', id = 0",
    "update db.s.t set email = 'x' limit 10",
])
def test_an_update_that_may_keep_the_values_keeps_the_lineage(tmp_path: Path, update: str) -> None:
    config = crawled(tmp_path, [*ROWS[:3], ("09:03", "UPDATE", update)])
    assert ("db.s.pii.email", "db.s.t.email") in terminals(config)


def test_a_later_copy_back_in_reopens_it(tmp_path: Path) -> None:
    config = crawled(tmp_path, [*ROWS, ("09:04", "INSERT", "insert into db.s.t select id, email from db.s.pii")])
    assert ("db.s.pii.email", "db.s.t.email") in terminals(config)


@pytest.mark.parametrize("batch_size", [1, 1000])
def test_a_replay_changes_nothing(tmp_path: Path, batch_size: int) -> None:
    config = crawled(tmp_path, ROWS, batch_size=batch_size)
    first = export_edges(config, "--level", "column")
    run_cli(config, "crawl", "--reset-watermark", "--yes")
    assert export_edges(config, "--level", "column") == first
    assert terminals(config) == {("db.s.pii.email", "db.s.before.email")}
