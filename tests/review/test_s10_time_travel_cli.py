"""A read at a Time Travel point reads the table as it was then, not as it is now.

``create table c clone cp at (timestamp => T)``, ``select * from cp at (offset => -600)`` and
``before (statement => id)`` (Snowflake "AT | BEFORE", "CREATE ... CLONE") read ``cp``'s
content at that earlier instant. When ``cp`` held e-mails then and was replaced without them
since, the clone and the copies hold the e-mails. The crawl read them as reads of ``cp``'s
current incarnation (current columns, edges valid now): no path, and nothing said one was
missing (S5). Now the edge keeps the point (its ``first_seen``) and the exposure walk reads
``cp``'s state at that point (lineage_engine/parsing/time_travel.py, exposure/walk.py).

History shared by the tests: ``cp`` holds the e-mails from 09:01 (q001) until it is replaced
without them at 09:05 (q002).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.cli_run import export_edges, run_cli
from tests.review.history import Row, crawled, history_lines, install, scan_paths, terminals

PII = "db.s.pii.email"

BASE: list[Row] = [
    ("09:00", "CREATE_TABLE", "create table db.s.pii (id int, email varchar)"),
    ("09:01", "CREATE_TABLE_AS_SELECT", "create table db.s.cp as select id, email from db.s.pii"),
    ("09:05", "CREATE_TABLE_AS_SELECT", "create or replace table db.s.cp as select id from db.s.pii"),
]


def _datasets(config: Path, *args: str) -> set[str]:
    """Datasets reported for the e-mails (a column terminal counts for its table)."""
    return {t if t.count(".") == 2 else t.rsplit(".", 1)[0] for o, t in terminals(config, *args) if o == PII}


def test_clone_and_select_at_a_time_travel_point_copy_what_the_table_held_then(
        tmp_path: Path, graph_config: dict[str, Any]) -> None:
    config = crawled(tmp_path, [
        *BASE,
        ("09:10", "CREATE_TABLE",
         "create table db.s.c clone db.s.cp at (timestamp => '2026-05-04 09:02:00'::timestamp_ltz)"),
        ("09:11", "CREATE_TABLE_AS_SELECT", "create table db.s.d as select * from db.s.cp at (offset => -600)"),
        ("09:12", "CREATE_TABLE_AS_SELECT", "create table db.s.e as select * from db.s.cp before (statement => 'q002')"),
        ("09:13", "CREATE_TABLE_AS_SELECT", "create table db.s.now as select * from db.s.cp"),
    ], graph=graph_config)
    # each of the three holds the e-mails, at column level (c.email: the clone's columns at the point)
    assert {t for o, t in terminals(config) if o == PII} == {"db.s.c.email", "db.s.d.email", "db.s.e.email"}
    # as of before the clone it does not exist; the current copy (db.s.now) holds no e-mail
    assert _datasets(config, "--as-of", "2026-05-04T09:09:30Z") == set()
    assert _datasets(config, "--as-of", "2026-05-04T09:10:30Z") == {"db.s.c"}
    # the edge keeps what was read: the clone's edge from cp is the point's copy
    edges = [json.loads(line) for line in export_edges(config).splitlines()]
    assert {e["downstream"] for e in edges if e["upstream"] == "db.s.cp"} == {"db.s.c", "db.s.d", "db.s.e", "db.s.now"}


def test_at_and_before_a_timestamp_at_the_instant_of_the_replace(tmp_path: Path) -> None:
    config = crawled(tmp_path, [
        *BASE,
        ("09:10", "CREATE_TABLE", "create table db.s.c1 clone db.s.cp at (timestamp => '2026-05-04T09:05:00Z'::timestamp_tz)"),
        ("09:10", "CREATE_TABLE",
         "create table db.s.c2 clone db.s.cp before (timestamp => to_timestamp_tz('2026-05-04 09:05:00 +00:00'))"),
        ("09:10", "CREATE_TABLE", "create table db.s.c3 clone db.s.cp at (timestamp => '2026-05-04 11:04:59 +02:00')"),
        # no zone: the session's time zone is unknown, so the earliest instant it can name (widest)
        ("09:10", "CREATE_TABLE", "create table db.s.c4 clone db.s.cp at (timestamp => '2026-05-04 09:05:00'::timestamp_ltz)"),
    ])
    assert _datasets(config) == {"db.s.c2", "db.s.c3", "db.s.c4"}  # AT the replace: after it, no e-mail


def test_offset_counts_from_the_statement_start(tmp_path: Path) -> None:
    config = crawled(tmp_path, [
        *BASE,
        ("09:11", "CREATE_TABLE_AS_SELECT", "create table db.s.d1 as select * from db.s.cp at (offset => -360)"),
        ("09:11", "CREATE_TABLE_AS_SELECT", "create table db.s.d2 as select * from db.s.cp before (offset => -360)"),
        ("09:11", "CREATE_TABLE_AS_SELECT", "create table db.s.d3 as select * from db.s.cp at (offset => -60*7)"),
        # started at 09:10, ended at 09:11: 300 s before the start is 09:05 (before the end: 09:06)
        ("09:11", "CREATE_TABLE_AS_SELECT", "create table db.s.d4 as select * from db.s.cp before (offset => -300)",
         {"start_time": "2026-05-04T09:10:00+00:00"}),
    ])
    assert _datasets(config) == {"db.s.d2", "db.s.d3", "db.s.d4"}


def test_statement_seen_and_unseen(tmp_path: Path) -> None:
    config = crawled(tmp_path, [
        *BASE,
        ("09:12", "CREATE_TABLE_AS_SELECT", "create table db.s.e1 as select * from db.s.cp before (statement => 'q002')"),
        ("09:12", "CREATE_TABLE_AS_SELECT", "create table db.s.e2 as select * from db.s.cp at (statement => 'q002')"),
        ("09:12", "CREATE_TABLE_AS_SELECT", "create table db.s.e3 as select * from db.s.cp at (statement => 'q001')"),
        ("09:12", "CREATE_TABLE_AS_SELECT", "create table db.s.e4 as select * from db.s.cp before (statement => 'q001')"),
        # a query the crawl never saw: the point is unknown, any earlier content counts (over-report)
        ("09:12", "CREATE_TABLE_AS_SELECT",
         "create table db.s.e5 as select * from db.s.cp at (statement => '01b2-never-seen')"),
    ])
    assert _datasets(config) == {"db.s.e1", "db.s.e3", "db.s.e5"}


def test_a_point_before_the_table_held_anything_copies_nothing(tmp_path: Path) -> None:
    config = crawled(tmp_path, [
        *BASE,
        ("09:10", "CREATE_TABLE", "create table db.s.f clone db.s.cp at (timestamp => '2026-05-04T08:30:00Z')"),
        ("09:10", "CREATE_TABLE", "create table db.s.g clone db.s.cp at (timestamp => '2026-05-04T09:03:00Z')"),
    ])
    assert _datasets(config) == {"db.s.g"}


def test_a_column_masked_at_the_point_stays_masked_in_the_copy(tmp_path: Path) -> None:
    config = crawled(tmp_path, [
        ("09:00", "CREATE_TABLE", "create table db.s.pii (id int, email varchar)"),
        ("09:01", "CREATE_TABLE_AS_SELECT", "create table db.s.cp as select id, sha2(email) as email from db.s.pii"),
        ("09:05", "CREATE_TABLE_AS_SELECT", "create or replace table db.s.cp as select id, email from db.s.pii"),
        ("09:10", "CREATE_TABLE", "create table db.s.masked clone db.s.cp at (timestamp => '2026-05-04T09:03:00Z')"),
        ("09:10", "CREATE_TABLE", "create table db.s.clear clone db.s.cp at (timestamp => '2026-05-04T09:06:00Z')"),
    ])
    assert {t for o, t in terminals(config) if o == PII} == {"db.s.cp.email", "db.s.clear.email"}


def test_who_read_the_clone_read_the_emails(tmp_path: Path) -> None:
    config = crawled(tmp_path, [
        *BASE,
        ("09:10", "CREATE_TABLE", "create table db.s.c clone db.s.cp before (statement => 'q002')"),
        ("09:20", "SELECT", "select email from db.s.c", {"user_name": "READER", "session_id": "9"}),
    ])
    found = json.loads(run_cli(config, "access", "--origin", PII, "--format", "json").stdout)
    assert ("READER", "db.s.c.email") in {(r["principal"], r["read"]) for r in found}


TWO_CRAWLS: list[Row] = [
    *BASE,
    ("09:10", "CREATE_TABLE", "create table db.s.c clone db.s.cp at (statement => 'q002')"),
    ("09:11", "CREATE_TABLE_AS_SELECT", "create table db.s.d as select * from db.s.cp before (statement => 'q002')"),
    ("09:12", "INSERT", "insert into db.s.d select * from db.s.cp at (offset => -30)"),
]


def _answers(config: Path) -> tuple[Any, ...]:
    paths = sorted((p["origin"], p["terminal"], p["level"]) for p in scan_paths(config, "--as-of", "2026-05-04T10:00:00Z"))
    return (paths, sorted(export_edges(config).splitlines()),
            sorted(export_edges(config, "--level", "column").splitlines()))


def test_one_crawl_two_crawls_and_a_replay_give_the_same_graph(tmp_path: Path, graph_config: dict[str, Any]) -> None:
    """The statement id q002 is resolved from the registry in the second crawl, from the batch in one."""
    one = crawled(tmp_path / "one", TWO_CRAWLS, graph=graph_config)
    expected = _answers(one)
    assert {p[1] for p in expected[0]} == {"db.s.d.email"}  # c: after q002; d: before it (the insert adds nothing)
    if graph_config["type"] == "neo4j":  # one server: the second graph replaces the first
        run_cli(one, "crawl", "--reset-watermark", "--yes")
        assert _answers(one) == expected
        return
    two = install(tmp_path / "two", TWO_CRAWLS[:3], graph={**graph_config, "path": str(tmp_path / "two" / "graph")})
    run_cli(two, "crawl")
    (tmp_path / "two" / "history.jsonl").write_text("\n".join(history_lines(TWO_CRAWLS)) + "\n", encoding="utf-8")
    run_cli(two, "crawl")
    assert _answers(two) == expected
    run_cli(two, "crawl", "--reset-watermark", "--yes")  # a replay changes nothing
    assert _answers(two) == expected


def test_a_table_restored_from_its_own_past_holds_what_it_held_then(tmp_path: Path) -> None:
    """``create or replace table cp clone cp before (statement => ...)`` (the usual undo of a bad
    statement) and ``insert into cp select * from cp at (...)`` give cp back what it held then."""
    rows: list[Row] = [
        *BASE,
        ("09:10", "CREATE_TABLE", "create or replace table db.s.cp clone db.s.cp before (statement => 'q002')"),
        ("09:20", "CREATE_TABLE_AS_SELECT", "create table db.s.later as select * from db.s.cp"),
    ]
    config = crawled(tmp_path / "clone", rows)
    assert {t for o, t in terminals(config) if o == PII} == {"db.s.cp.email", "db.s.later.email"}
    assert terminals(config, "--as-of", "2026-05-04T09:08:00Z") == set()  # between the replace and the undo
    config = crawled(tmp_path / "insert", [
        *BASE, ("09:10", "INSERT", "insert into db.s.cp select * from db.s.cp at (timestamp => '2026-05-04T09:02:00Z')")])
    assert {t for o, t in terminals(config) if o == PII} == {"db.s.cp.email"}
    config = crawled(tmp_path / "after", [  # a point after the replace gives nothing back
        *BASE, ("09:10", "INSERT", "insert into db.s.cp select * from db.s.cp at (timestamp => '2026-05-04T09:06:00Z')")])
    assert terminals(config) == set()
