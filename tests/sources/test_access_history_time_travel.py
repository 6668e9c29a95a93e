"""ACCESS_HISTORY lineage keeps the Time Travel point of a statement (Snowflake source, fakesnow).

``objects_modified`` names the objects a statement read, not the point it read them at. A
statement the parser read keeps the point of its text (``read_points`` survive
``apply_access_lineage``); one it could not read whole (``... where (((``) whose text mentions
``AT (`` is read at a point not known (the epoch: any earlier content), never as a read of the
current content (pipeline ``_points_of``).
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
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

CONFIG = SnowflakeConnectionConfig(account="acme-test", user="LINEAGE_SVC", password="pw-not-shown",
                                   query_tag="lineage-svc")
_INSERT_AH = """
INSERT INTO snowflake.account_usage.access_history
  (query_id, query_start_time, objects_modified, direct_objects_accessed, base_objects_accessed)
SELECT %(query_id)s, %(start)s, PARSE_JSON(%(modified)s), PARSE_JSON(%(direct)s), PARSE_JSON('[]')
"""
CP = {"objectDomain": "Table", "objectId": 2, "objectName": "DB.S.CP"}


def _at(minute: int) -> datetime:
    return datetime(2026, 5, 4, 9, minute, tzinfo=timezone.utc)


def _row(query_id: str, minute: int, text: str, query_type: str) -> dict[str, Any]:
    return {"query_id": query_id, "query_text": text, "query_type": query_type, "start_time": _at(minute),
            "end_time": _at(minute), "execution_status": "SUCCESS", "database_name": "DB", "schema_name": "S",
            "user_name": "DBT", "role_name": "TRANSFORMER", "warehouse_name": "WH", "query_tag": ""}


def _record(query_id: str, minute: int, target: str) -> dict[str, Any]:
    modified = [{"objectDomain": "Table", "objectId": 5, "objectName": target,
                 "columns": [{"columnName": "EMAIL", "directSources": [{**CP, "columnName": "EMAIL"}]}]}]
    direct = [{**CP, "columns": [{"columnId": 1, "columnName": "EMAIL"}]}]
    return {"query_id": query_id, "start": _at(minute), "modified": json.dumps(modified), "direct": json.dumps(direct)}


def test_access_history_lineage_keeps_the_point(tmp_path: Path) -> None:
    with account_usage() as snow:
        load_query_history(snow, [
            _row("q0", 0, "create table db.s.pii (id int, email varchar)", "CREATE_TABLE"),
            _row("q1", 1, "create table db.s.cp as select id, email from db.s.pii", "CREATE_TABLE_AS_SELECT"),
            _row("q2", 5, "create or replace table db.s.cp as select id from db.s.pii", "CREATE_TABLE_AS_SELECT"),
            _row("q3", 10, "create table db.s.d as select email from db.s.cp at (timestamp => '2026-05-04T09:02:00Z')",
                 "CREATE_TABLE_AS_SELECT"),
            _row("q4", 11, "create table db.s.e as select email from db.s.cp at (timestamp => '2026-05-04T09:02:00Z') "
                 "where (((", "CREATE_TABLE_AS_SELECT"),
        ])
        snow.execute(_INSERT_AH, _record("q3", 10, "DB.S.D"))
        snow.execute(_INSERT_AH, _record("q4", 11, "DB.S.E"))
        source = SnowflakeQueryHistorySource(CONFIG, clock=lambda: datetime(2026, 5, 4, 12, 0, tzinfo=timezone.utc), access_history=True)
        store = open_graph_store("embedded", path=tmp_path / "graph")
        registry = Registry(f"sqlite:///{tmp_path / 'registry.db'}")
        registry.migrate()
        try:
            assert crawl_once(source, store, registry, CrawlOptions(own_user="LINEAGE_SVC")).enriched == 2
            edges = {(e.downstream, e.upstream): e for e in store.iter_edges(None)}
        finally:
            store.close()
            registry.close()
    d, e = edges[("db.s.d", "db.s.cp")], edges[("db.s.e", "db.s.cp")]
    assert (d.provenance, d.first_seen) == ("access_history", datetime(2026, 5, 4, 9, 2, 0, 1, tzinfo=timezone.utc))
    assert (e.provenance, e.first_seen) == ("access_history", datetime(1970, 1, 1, tzinfo=timezone.utc))
