"""``lineage-engine access`` through the installed command (issue 14 §2), on both graph backends.

One small history: ALICE reads the raw e-mail column, BOB reads only a copy a dbt model made;
the time rules are pinned by negative cases: a read of a copy before it got the data, after
it was replaced without it, or of a table recreated empty after a drop does not count; a view
is live; COUNT(*) reads no column.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from tests.cli_run import run_cli
from tests.cli_setup import crawled_installation

T0 = datetime(2026, 11, 1, 8, 0, tzinfo=timezone.utc)


def _row(query_id: str, day: int, hour: int, text: str, query_type: str = "SELECT", user: str = "ALICE",
         role: str = "ANALYST") -> dict:
    at = (T0 + timedelta(days=day, hours=hour - 8)).isoformat()
    return {"query_id": query_id, "query_text": text, "query_type": query_type, "start_time": at, "end_time": at,
            "execution_status": "SUCCESS", "database_name": "DB", "schema_name": "RAW", "user_name": user,
            "role_name": role, "warehouse_name": "WH", "session_id": query_id}


ROWS = [
    _row("c1", 0, 8, "create table db.raw.customers (id int, email string, name string)", "CREATE_TABLE", "LOADER"),
    _row("c2", 0, 9, "create table db.marts.c2 (id int, email string)", "CREATE_TABLE", "DBT", "TRANSFORMER"),
    _row("a1", 1, 9, "select email from db.raw.customers where id = 42"),  # ALICE: the raw column
    _row("b0", 1, 10, "select email from db.marts.c2", user="BOB"),  # before c2 got the data: no
    _row("h1", 2, 8, "select email from db.marts.c2", user="HANK"),  # same day, before the load...
    _row("i2", 2, 9, "insert into db.marts.c2 select id, email from db.raw.customers", "INSERT", "DBT", "TRANSFORMER"),
    _row("h2", 2, 10, "select email from db.marts.c2", user="HANK"),  # ...and after: counted, with a note
    _row("v1", 2, 9, "create view db.marts.v as select id, email from db.raw.customers", "CREATE_VIEW", "DBT",
         "TRANSFORMER"),
    _row("k1", 2, 11, "create table db.scratch.k as select email from db.raw.customers",
         "CREATE_TABLE_AS_SELECT", "FRANK"),
    _row("f1", 2, 12, "select email from db.scratch.k", user="FRANK"),
    _row("b1", 3, 9, "select email from db.marts.c2", user="BOB"),  # BOB: only the dbt copy
    _row("e1", 3, 10, "select email from db.marts.v", user="ERIN"),  # a view is live
    _row("i1", 3, 11, "select count(*) from db.raw.customers", user="IVAN"),  # no column read
    _row("d0", 3, 12, "drop table db.scratch.k", "DROP", "FRANK"),
    _row("k2", 3, 13, "create table db.scratch.k (email string)", "CREATE_TABLE", "FRANK"),
    _row("g1", 3, 14, "select email from db.scratch.k", user="GREG"),  # recreated empty: no
    _row("r1", 4, 9, "create or replace table db.marts.c2 as select 1 as id, 'x' as email", "CREATE_TABLE_AS_SELECT",
         "DBT", "TRANSFORMER"),
    _row("dv", 5, 9, "select email from db.marts.c2", user="DAVE"),  # after the replace: no
]
REGISTRY = """
- {catalog_path: db.raw.customers.email, asset_type: column, classification: restricted, regulatory_tags: [pii]}
"""
ORIGIN = "db.raw.customers.email"


def _history(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "history.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in ROWS), encoding="utf-8")
    return path


def _access(config: Path, *args: str) -> list[dict[str, Any]]:
    return json.loads(run_cli(config, "access", *args, "--format", "json").stdout)


def _check(config: Path) -> None:
    rows = _access(config, "--origin", ORIGIN)
    got = {(r["principal"], r["read"]): r for r in rows}
    assert set(got) == {
        ("ALICE", "db.raw.customers.email"), ("DBT", "db.raw.customers.email"), ("FRANK", "db.raw.customers.email"),
        ("BOB", "db.marts.c2.email"), ("HANK", "db.marts.c2.email"), ("ERIN", "db.marts.v.email"),
        ("FRANK", "db.scratch.k.email"),
    }, rows  # not BOB's read before the load, not DAVE after the replace, not GREG, not IVAN's COUNT(*)
    bob = got[("BOB", "db.marts.c2.email")]
    assert bob["path"] == [ORIGIN, "db.marts.c2.email"] and bob["hops"] == 1
    assert (bob["reads"], bob["first_read"], bob["query_ids"]) == (1, "2026-11-04T09:00:00+00:00", ["b1"])
    assert got[("ALICE", ORIGIN)]["path"] == [ORIGIN] and got[("ALICE", ORIGIN)]["query_ids"] == ["a1"]
    hank = got[("HANK", "db.marts.c2.email")]
    assert hank["reads"] == 2 and "outside the window" in hank["note"]  # one UTC day holds both reads
    assert got[("ERIN", "db.marts.v.email")]["path"] == [ORIGIN, "db.marts.v.email"]

    until = _access(config, "--origin", ORIGIN, "--until", "2026-11-03T23:59:59Z")
    assert {r["principal"] for r in until} == {"ALICE", "DBT", "FRANK", "HANK"}
    since = _access(config, "--origin", ORIGIN, "--since", "2026-11-04")
    assert {r["principal"] for r in since} == {"BOB", "ERIN"}

    bob_read = _access(config, "--principal", "bob")  # the reverse: what sensitive data BOB read
    assert [(r["origin"], r["read"], r["path"]) for r in bob_read] == [
        (ORIGIN, "db.marts.c2.email", [ORIGIN, "db.marts.c2.email"])]
    assert _access(config, "--principal", "dave") == [] and _access(config, "--principal", "ivan") == []

    table = _access(config, "--origin", "db.raw.customers")  # a dataset origin: table level
    assert {r["principal"] for r in table} == {"ALICE", "DBT", "FRANK", "IVAN", "BOB", "HANK", "ERIN"}  # not DAVE, GREG
    assert {r["read"] for r in table if r["principal"] == "IVAN"} == {"db.raw.customers"}  # COUNT(*) reads the table


def test_access_lists_direct_and_copy_readers_with_time_rules(tmp_path: Path) -> None:
    config = crawled_installation(tmp_path, _history(tmp_path), REGISTRY)
    _check(config)
    csv = run_cli(config, "access", "--origin", ORIGIN, "--format", "csv").stdout
    assert "db.raw.customers.email → db.marts.c2.email" in csv and "query_text" not in csv
    assert "BOB" in run_cli(config, "access", "--origin", ORIGIN).stdout


def test_access_on_neo4j(neo4j_graph: Any, tmp_path: Path) -> None:
    config = crawled_installation(tmp_path, _history(tmp_path), REGISTRY, neo4j=neo4j_graph.options)
    _check(config)


BAD = [
    (("--origin", "db.raw.custmers.email"), "db.raw.customers.email"),  # the closest known id
    ((), "give --origin ID"),
    (("--origin", ORIGIN, "--since", "yesterday"), "--since"),
    (("--origin", ORIGIN, "--since", "2026-11-05", "--until", "2026-11-01"), "is after --until"),
]


def test_bad_input_is_one_line_and_exit_2(tmp_path: Path) -> None:
    config = crawled_installation(tmp_path, _history(tmp_path), REGISTRY)
    for args, message in BAD:
        result = run_cli(config, "access", *args, check=False)
        assert result.returncode == 2 and message in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
