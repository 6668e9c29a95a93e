"""A RESULT_SCAN copy stays followed when ACCESS_HISTORY enriches the crawl (review s15 Q2: a false negative).

With ``telemetry.access_history: true`` the record of ``create table db.s.out as select * from
table(result_scan(last_query_id()))`` names the table written and no source: a result set is not an
object (Snowflake "ACCESS_HISTORY view": objects accessed are tables, views, stages, ...). The record's
empty sources replaced the parsed ones, the ``RESULT_SCAN`` reference among them: the copy of
``db.s.pii.email`` into ``db.s.out`` was neither followed nor quarantined (nothing printed, nothing
counted). The installed command, over a fake Snowflake (``fakesnow -s``) holding QUERY_HISTORY and
ACCESS_HISTORY rows.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from tests.cli_run import environment, run_cli
from tests.review.history import EMAIL_PII
from tests.service.fakesnow_history import (create_views, fakesnow_server, load_access_history, load_query_history,
                                            server_connection)

pytestmark = pytest.mark.filterwarnings("ignore:Arrow output:UserWarning")

REGISTRY = EMAIL_PII


def _row(base: datetime, n: int, minutes: int, query_type: str, text: str) -> dict[str, Any]:
    at = (base + timedelta(minutes=minutes)).isoformat()
    return {"query_id": f"01b00000-0000-0000-0000-{n:012d}", "query_text": text, "query_type": query_type,
            "start_time": at, "end_time": at, "execution_status": "SUCCESS", "database_name": "DB", "schema_name": "S",
            "session_id": 7, "user_name": "DBT", "role_name": "TRANSFORMER", "warehouse_name": "WH"}


def test_a_result_scan_copy_is_followed_with_access_history(tmp_path: Path) -> None:
    base = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(hours=2)
    rows = [_row(base, 0, 0, "CREATE_TABLE", "create table db.s.pii (id int, email varchar)"),
            _row(base, 1, 1, "SELECT", "select id, email from db.s.pii"),
            _row(base, 2, 2, "CREATE_TABLE_AS_SELECT",
                 "create table db.s.out as select * from table(result_scan(last_query_id()))")]
    (tmp_path / "reg.yaml").write_text(REGISTRY, encoding="utf-8")
    with fakesnow_server() as port:
        conn = server_connection(port)
        create_views(conn.cursor())
        load_query_history(conn.cursor(), rows)
        written = {"objectDomain": "Table", "objectName": "DB.S.OUT", "objectId": 2,
                   "columns": [{"columnName": "ID", "columnId": 1, "directSources": [], "baseSources": []},
                               {"columnName": "EMAIL", "columnId": 2, "directSources": [], "baseSources": []}]}
        load_access_history(conn.cursor(), rows[2]["query_id"], base + timedelta(minutes=2), [written], [])
        read = {"objectDomain": "Table", "objectName": "DB.S.PII", "objectId": 1,
                "columns": [{"columnName": "ID", "columnId": 1}, {"columnName": "EMAIL", "columnId": 2}]}
        load_access_history(conn.cursor(), rows[1]["query_id"], base + timedelta(minutes=1), [], [read])
        conn.close()
        config = tmp_path / "c.yaml"
        config.write_text(
            "telemetry: {provider: snowflake, account: acme-test, user: LINEAGE_SVC, password: '${SF_TEST_PASSWORD}', "
            f"host: 127.0.0.1, port: {port}, protocol: http, warehouse: LINEAGE_WH, lag_minutes: 0, "
            "login_timeout_seconds: 5, backfill_window_days: 1, access_history: true}\n"
            "graph: {type: embedded, path: .lineage/graph}\n"
            'compliance: {classification_db: "sqlite:///.lineage/registry.db"}\n'
            "monitoring: {slack_webhook: ''}\n", encoding="utf-8")
        env = {**environment(), "SF_TEST_PASSWORD": "snow"}
        for args in (("migrate",), ("registry", "import", str(tmp_path / "reg.yaml")), ("crawl",)):
            run_cli(config, *args, env=env)
    paths = json.loads(run_cli(config, "scan", "--format", "json", env=env).stdout)
    assert [(p["origin"], p["terminal"]) for p in paths] == [("db.s.pii.email", "db.s.out.email")], paths
    edges = [json.loads(line) for line in run_cli(config, "export", "edges", "--level", "column", env=env)
             .stdout.splitlines() if line.strip()]
    email = [e for e in edges if e["downstream"] == "db.s.out.email"]
    assert [(e["upstream"], e["via"]) for e in email] == [("db.s.pii.email", [f"#$result:{rows[1]['query_id']}"])]
