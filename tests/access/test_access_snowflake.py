"""Reads from Snowflake (issue 14 §1), in fakesnow: SELECTs are read from QUERY_HISTORY when reads are
kept, and with ``access_history`` DIRECT_OBJECTS_ACCESSED / BASE_OBJECTS_ACCESSED win over parsing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from lineage_engine.graph.store import open_graph_store
from lineage_engine.pipeline import CrawlOptions, crawl_once
from lineage_engine.registry import Registry
from lineage_engine.sources.snowflake import SnowflakeQueryHistorySource
from lineage_engine.sources.snowflake_connection import SnowflakeConnectionConfig
from tests.service.fakesnow_history import account_usage, load_query_history

pytestmark = pytest.mark.filterwarnings("ignore:Arrow output:UserWarning")

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=timezone.utc)
CONFIG = SnowflakeConnectionConfig(account="acme-test", user="LINEAGE_SVC", password="pw-not-shown",
                                   query_tag="lineage-svc")
_INSERT_AH = """
INSERT INTO snowflake.account_usage.access_history
  (query_id, query_start_time, objects_modified, direct_objects_accessed, base_objects_accessed)
SELECT %(query_id)s, %(start)s, PARSE_JSON('[]'), PARSE_JSON(%(direct)s), PARSE_JSON(%(base)s)
"""


@pytest.fixture
def snow() -> Iterator[Any]:
    with account_usage() as cursor:
        yield cursor


def _row(query_id: str, end: datetime, text: str, query_type: str = "SELECT", user: str = "ALICE") -> dict:
    return {"query_id": query_id, "query_text": text, "query_type": query_type, "start_time": end - timedelta(seconds=2),
            "end_time": end, "execution_status": "SUCCESS", "database_name": "DB", "schema_name": "S",
            "user_name": user, "role_name": "ANALYST", "warehouse_name": "WH", "query_tag": ""}


def _obj(name: str, domain: str, *columns: str) -> dict:
    return {"objectDomain": domain, "objectId": 1, "objectName": name,
            "columns": [{"columnId": n, "columnName": c} for n, c in enumerate(columns)]}


def test_selects_are_read_and_access_history_reads_win(snow: Any, tmp_path: Path) -> None:
    t = NOW - timedelta(hours=3)
    load_query_history(snow, [
        _row("s1", t, "select email from DB.S.V_CUSTOMERS"),
        _row("s2", t + timedelta(minutes=1), "select amount from DB.S.ORDERS"),  # no record: parsed
        _row("s3", t + timedelta(minutes=2), "select amount from DB.S.ORDERS", user="LINEAGE_SVC"),  # ours
    ])
    snow.execute(_INSERT_AH, {"query_id": "s1", "start": t - timedelta(seconds=2),
                              "direct": json.dumps([_obj("DB.S.V_CUSTOMERS", "View", "EMAIL")]),
                              "base": json.dumps([_obj("DB.RAW.CUSTOMERS", "Table", "EMAIL", "TENANT")])})
    source = SnowflakeQueryHistorySource(CONFIG, clock=lambda: NOW, access_history=True)
    store = open_graph_store("embedded", path=tmp_path / "graph")
    registry = Registry(f"sqlite:///{tmp_path / 'registry.db'}")
    registry.migrate()
    try:
        report = crawl_once(source, store, registry, CrawlOptions(own_user="LINEAGE_SVC"))
        assert report.reads == 2
        reads = {(r.principal, r.object_id) for r in registry.list_reads()}
        assert reads == {
            ("ALICE", "db.s.v_customers"), ("ALICE", "db.s.v_customers.email"),  # direct: the view
            ("ALICE", "db.raw.customers"), ("ALICE", "db.raw.customers.email"),  # base: the table behind it
            ("ALICE", "db.raw.customers.tenant"),  # a column only Snowflake knew the view read
            ("ALICE", "db.s.orders"), ("ALICE", "db.s.orders.amount"),  # parsed
        }
        default = SnowflakeQueryHistorySource(CONFIG, clock=lambda: NOW)
        assert "SELECT" in default.query_types  # always fetched: a SELECT may call an external function
    finally:
        store.close()
        registry.close()
