"""Rows of a QUERY_TYPE the crawl has never classified are said, not skipped silently (review D3).

Snowflake publishes no list of QUERY_TYPE names. A type the crawl does not know was skipped as
"not materializing" without a word (as CREATE_STREAM and CREATE_DYNAMIC_TABLE were, until named):
a new kind of statement that copies data would be a silent false negative. Now a successful row
of a type that is neither read for lineage nor known to move no data (SELECT, SHOW, DESCRIBE, ...)
is counted per type by ``crawl`` and quarantined as ``unclassified_query_type`` (redacted text),
so ``scan`` counts it under "not seen" and an evidence pack lists it; on the file source and on
the Snowflake source (whose pushdown used to leave such rows in Snowflake).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from tests.cli_run import run_cli
from tests.review.history import install

ROWS = [
    ("09:00", "CREATE_TABLE", "create table db.s.pii (id int, email varchar)"),
    ("09:01", "SELECT", "select email from db.s.pii"),
    ("09:02", "CREATE_TABLE_AS_SELECT", "create table db.s.ids as select id from db.s.pii"),
    ("09:03", "CREATE_HYBRID_COPY", "create table db.s.copy as select email from db.s.pii where email = 'jane@x.org'"),
    ("09:04", "CREATE_HYBRID_COPY", "create table db.s.copy2 as select email from db.s.pii"),
    ("09:05", "REFRESH_SOMETHING", "alter something db.s.x refresh"),
    ("09:06", "CREATE_HYBRID_COPY", "create table db.s.failed as select 1", {"execution_status": "FAIL"}),
]


def test_rows_of_never_classified_types_are_counted_quarantined_and_not_seen(tmp_path: Path) -> None:
    config = install(tmp_path, ROWS)
    out = " ".join(run_cli(config, "crawl").stdout.split())
    assert ("3 rows of QUERY_TYPEs never classified were not read (quarantined as unclassified_query_type; "
            "report a type if it writes data): CREATE_HYBRID_COPY 2, REFRESH_SOMETHING 1") in out, out
    entries = json.loads(run_cli(config, "quarantine", "--format", "json").stdout)
    assert sorted((e["query_id"], e["reason_code"]) for e in entries) == [
        ("q003", "unclassified_query_type"), ("q004", "unclassified_query_type"), ("q005", "unclassified_query_type")]
    assert "jane@x.org" not in json.dumps(entries)  # redacted text only
    assert "not seen: 3 quarantined rows or statements" in run_cli(config, "scan").stdout
    run_cli(config, "evidence", "--as-of", "2026-05-05", "--out", str(tmp_path / "pack"))
    coverage = json.loads((tmp_path / "pack" / "coverage.json").read_text(encoding="utf-8"))
    assert {"q003", "q004"} <= {row["query_id"] for row in coverage["quarantined"]}, coverage
    again = run_cli(config, "crawl").stdout  # read once: nothing new, nothing said again
    assert "never classified" not in again


def test_known_types_that_move_no_data_are_not_reported(tmp_path: Path) -> None:
    config = install(tmp_path, ROWS[:3] + [("09:02:30", "SHOW", "show tables"),
                                           ("09:03", "ALTER_SESSION", "alter session set timezone = 'UTC'"),
                                           ("09:04", "BEGIN_TRANSACTION", "begin"), ("09:05", "COMMIT", "commit")])
    out = run_cli(config, "crawl").stdout
    assert "never classified" not in out, out
    assert json.loads(run_cli(config, "quarantine", "--format", "json").stdout) == []


# -- the Snowflake source (fakesnow): the pushdown reads such rows too --------------------------------

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=timezone.utc)


@pytest.fixture
def snow() -> Iterator[Any]:
    from tests.service.fakesnow_history import account_usage

    with account_usage() as cursor:
        yield cursor


@pytest.mark.filterwarnings("ignore:Arrow output:UserWarning")
def test_the_snowflake_source_reads_and_reports_never_classified_types(snow: Any, tmp_path: Path) -> None:
    from lineage_engine.graph.store import open_graph_store
    from lineage_engine.pipeline import CrawlOptions, crawl_once
    from lineage_engine.registry import Registry
    from lineage_engine.sources.snowflake import SnowflakeQueryHistorySource
    from lineage_engine.sources.snowflake_connection import SnowflakeConnectionConfig
    from tests.service.fakesnow_history import load_query_history

    t = NOW - timedelta(hours=3)

    def row(query_id: str, minutes: int, query_type: str, text: str) -> dict[str, Any]:
        end = t + timedelta(minutes=minutes)
        return {"query_id": query_id, "query_text": text, "query_type": query_type, "start_time": end,
                "end_time": end, "execution_status": "SUCCESS", "database_name": "DB", "schema_name": "S",
                "user_name": "ALICE", "role_name": "ANALYST", "warehouse_name": "WH", "query_tag": ""}

    load_query_history(snow, [
        row("a", 0, "CREATE_TABLE_AS_SELECT", "create table db.s.c as select email from db.s.pii"),
        row("b", 1, "SHOW", "show tables"),
        row("c", 2, "CREATE_HYBRID_COPY", "create table db.s.h as select email from db.s.pii"),
        row("d", 3, "DESCRIBE", "describe table db.s.pii"),
    ])
    config = SnowflakeConnectionConfig(account="acme-test", user="LINEAGE_SVC", password="pw-not-shown",
                                       query_tag="lineage-svc")
    source = SnowflakeQueryHistorySource(config, clock=lambda: NOW)
    store = open_graph_store("embedded", path=tmp_path / "graph")
    registry = Registry(f"sqlite:///{tmp_path / 'registry.db'}")
    registry.migrate()
    try:
        report = crawl_once(source, store, registry, CrawlOptions(own_user="LINEAGE_SVC"), clock=lambda: NOW)
        assert dict(report.unclassified) == {"CREATE_HYBRID_COPY": 1}
        assert [(q.query_id, q.reason_code) for q in registry.list_quarantine()] == [("c", "unclassified_query_type")]
    finally:
        store.close()
        registry.close()
