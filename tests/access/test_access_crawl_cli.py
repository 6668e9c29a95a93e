"""Reads kept as access facts by the installed ``lineage-engine crawl`` (issue 14 §1).

A small JSON-Lines history: SELECTs and the read side of writes are aggregated per
(principal, role, object, UTC day); the service's own user and query tag, and failed
statements, are not; ACCESS_HISTORY-shaped columns in the export win over parsing; a
re-read of the whole file changes nothing.
"""

from __future__ import annotations

import json
from pathlib import Path

from lineage_engine.registry import Registry
from tests.cli_run import file_config, run_cli


def _row(query_id: str, when: str, text: str, query_type: str = "SELECT", user: str = "ALICE",
         **over: object) -> dict:
    row = {"query_id": query_id, "query_text": text, "query_type": query_type, "start_time": when, "end_time": when,
           "execution_status": "SUCCESS", "database_name": "DB", "schema_name": "RAW", "user_name": user,
           "role_name": "ANALYST", "warehouse_name": "WH"}
    row.update(over)
    return row


ROWS = [
    _row("c1", "2026-11-01T08:00:00Z", "create table db.raw.customers (id int, email string, name string)",
         "CREATE_TABLE", user="LOADER"),
    _row("r1", "2026-11-02T09:00:00Z", "select email from db.raw.customers where id = 42"),
    _row("r2", "2026-11-02T11:00:00Z", "select email, name from customers"),
    _row("w1", "2026-11-03T09:00:00Z", "create table db.marts.c2 as select id, email from db.raw.customers",
         "CREATE_TABLE_AS_SELECT", user="DBT", role_name="TRANSFORMER"),
    _row("svc", "2026-11-03T10:00:00Z", "select email from db.raw.customers", user="LINEAGE_SVC"),
    _row("tag", "2026-11-03T10:01:00Z", "select email from db.raw.customers", user="BOB", query_tag="lineage-svc:x"),
    _row("bad", "2026-11-03T10:02:00Z", "select email from db.raw.customers", user="BOB", execution_status="FAIL"),
    _row("ah", "2026-11-04T09:00:00Z", "select 1 from db.raw.customers", user="CAROL",
         direct_objects_accessed=json.dumps([{"objectDomain": "Table", "objectId": 1,
                                              "objectName": "DB.RAW.CUSTOMERS",
                                              "columns": [{"columnId": 2, "columnName": "NAME"}]}]),
         base_objects_accessed=json.dumps([])),
]


def _reads(config: Path) -> dict[tuple[str, str, str, str], int]:
    with Registry(f"sqlite:///{config.parent / '.lineage' / 'registry.db'}") as registry:
        return {(r.principal, r.role, r.object_id, r.day): r.reads for r in registry.list_reads()}


def test_crawl_keeps_reads_as_daily_aggregates_and_a_replay_changes_nothing(tmp_path: Path) -> None:
    history = tmp_path / "history.jsonl"
    history.write_text("".join(json.dumps(r) + "\n" for r in ROWS), encoding="utf-8")
    config = file_config(tmp_path / "w", history, extra="")
    text = config.read_text().replace("batch_size: 1000}", "batch_size: 3, own_user: LINEAGE_SVC}")
    config.write_text(text)
    run_cli(config, "migrate")
    out = run_cli(config, "crawl").stdout
    assert "reads kept: 4 statements (4 new" in out, out
    reads = _reads(config)
    assert reads[("ALICE", "ANALYST", "db.raw.customers.email", "2026-11-02")] == 2  # r1 and r2, one day
    assert reads[("ALICE", "ANALYST", "db.raw.customers.id", "2026-11-02")] == 1  # a filter reads its column
    assert reads[("ALICE", "ANALYST", "db.raw.customers.name", "2026-11-02")] == 1
    assert reads[("ALICE", "ANALYST", "db.raw.customers", "2026-11-02")] == 2
    assert reads[("DBT", "TRANSFORMER", "db.raw.customers.email", "2026-11-03")] == 1  # the read side of a CTAS
    assert reads[("CAROL", "ANALYST", "db.raw.customers.name", "2026-11-04")] == 1  # ACCESS_HISTORY's columns win
    assert ("CAROL", "ANALYST", "db.raw.customers.email", "2026-11-04") not in reads
    principals = {key[0] for key in reads}
    assert principals == {"ALICE", "DBT", "CAROL"}  # not our user, not our tag, not a failed statement, not DDL
    assert "query_text" not in json.dumps(list(reads))

    before = _reads(config)
    out = run_cli(config, "crawl", "--reset-watermark", "--yes").stdout
    assert "reads kept: 4 statements (0 new, 4 already recorded)" in out, out
    assert _reads(config) == before


def test_reads_can_be_turned_off(tmp_path: Path) -> None:
    history = tmp_path / "history.jsonl"
    history.write_text("".join(json.dumps(r) + "\n" for r in ROWS[:3]), encoding="utf-8")
    config = file_config(tmp_path / "w", history)
    config.write_text(config.read_text().replace("batch_size: 1000}", "batch_size: 1000, keep_reads: false}"))
    run_cli(config, "migrate")
    assert "reads kept" not in run_cli(config, "crawl").stdout
    assert _reads(config) == {}
