"""``telemetry.sync_columns`` end to end: ACCOUNT_USAGE.COLUMNS in fakesnow -> crawl -> column edges.

The warehouse (in-process fakesnow) holds real tables; ACCOUNT_USAGE.COLUMNS is filled from
their INFORMATION_SCHEMA (:mod:`tests.sources.fakesnow_columns`). The history never defines
``PROD_DB.RAW.CUSTOMERS``: only the catalog can expand ``SELECT *`` over it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from unittest import mock

import fakesnow
import pytest
import snowflake.connector

from lineage_engine import services
from lineage_engine.column_catalog import ColumnCatalog
from lineage_engine.errors import ConfigError, TransientSourceError
from lineage_engine.graph.store import open_graph_store
from lineage_engine.scheduler import Service
from lineage_engine.settings import ComplianceSettings, GraphSettings, Settings, TelemetrySettings, load_settings
from lineage_engine.sources.snowflake_columns import CatalogColumns
from tests.service.fakesnow_history import create_views, load_query_history
from tests.sources.fakesnow_columns import create_columns_view, sync_account_usage_columns
from tests.sources.wrapped_driver import WrappedDriver

pytestmark = pytest.mark.filterwarnings("ignore:Arrow output:UserWarning")
SECRET = "hunter2-secret"


def _row(n: int, text: str) -> dict[str, Any]:
    end = datetime.now(timezone.utc) - timedelta(hours=3) + timedelta(minutes=n)  # the source reads up to now - lag
    return {"query_id": f"q{n}", "query_text": text, "query_type": "CREATE_TABLE_AS_SELECT",
            "start_time": end - timedelta(seconds=2), "end_time": end, "execution_status": "SUCCESS",
            "database_name": "PROD_DB", "schema_name": "AN", "user_name": "DBT_PROD", "query_tag": ""}


HISTORY = [
    _row(1, "create table PROD_DB.AN.C360 as select * from PROD_DB.RAW.CUSTOMERS"),
    _row(2, "create or replace table PROD_DB.AN.NARROW as select id, email from PROD_DB.RAW.CUSTOMERS"),
    _row(3, "create or replace table PROD_DB.AN.WIDE as select * from PROD_DB.AN.NARROW"),
]


@pytest.fixture
def warehouse() -> Iterator[Any]:
    """fakesnow with QUERY_HISTORY (HISTORY), the tables, and ACCOUNT_USAGE.COLUMNS synced from them."""
    with fakesnow.patch():
        conn = snowflake.connector.connect(database="SNOWFLAKE", schema="ACCOUNT_USAGE")
        cursor = conn.cursor()
        create_views(cursor)
        create_columns_view(cursor)
        cursor.execute("CREATE DATABASE prod_db")
        cursor.execute("CREATE SCHEMA prod_db.raw")
        cursor.execute("CREATE SCHEMA prod_db.an")
        cursor.execute("CREATE TABLE prod_db.raw.customers (id INT, email VARCHAR, country VARCHAR)")
        # NARROW as it is now: a column added after the CTAS the history replays
        cursor.execute("CREATE TABLE prod_db.an.narrow (id INT, email VARCHAR, phone VARCHAR)")
        sync_account_usage_columns(cursor, "prod_db")
        load_query_history(cursor, HISTORY)
        yield cursor
        conn.close()


def _settings(tmp_path: Path, **telemetry: Any) -> Settings:
    return Settings(
        telemetry=TelemetrySettings(provider="snowflake", account="acme-test", user="LINEAGE_SVC", password=SECRET,
                                    backfill_days=1, **telemetry),
        graph=GraphSettings(path=tmp_path / "graph"),
        compliance=ComplianceSettings(classification_db=f"sqlite:///{tmp_path / 'registry.db'}"),
    )


def _crawl(settings: Settings, **kw: Any) -> tuple[services.CrawlOutcome, list[str], set[tuple[str, str]]]:
    recorder = WrappedDriver()
    with mock.patch.object(snowflake.connector, "connect", recorder):
        outcome = services.crawl(settings, **kw)
    store = open_graph_store("embedded", path=settings.graph.path)
    try:
        edges = {(e.downstream, e.upstream) for e in store.iter_column_edges() if e.valid_to is None}
    finally:
        store.close()
    return outcome, recorder.reading("account_usage.columns"), edges


def _into(edges: set[tuple[str, str]], dataset: str) -> set[tuple[str, str]]:
    return {e for e in edges if e[0].startswith(dataset + ".")}


def test_select_star_over_a_table_only_the_catalog_knows_is_expanded(warehouse: Any, tmp_path: Path) -> None:
    outcome, columns_reads, edges = _crawl(_settings(tmp_path, sync_columns=True))
    assert outcome.report.rows_read == 3 and len(columns_reads) == 1  # one load for the whole backfill
    assert _into(edges, "prod_db.an.c360") == {
        ("prod_db.an.c360.id", "prod_db.raw.customers.id"), ("prod_db.an.c360.email", "prod_db.raw.customers.email"),
        ("prod_db.an.c360.country", "prod_db.raw.customers.country")}
    # NARROW is known to both: the history's CTAS (id, email) wins over the catalog's now (id, email, phone)
    assert _into(edges, "prod_db.an.wide") == {("prod_db.an.wide.id", "prod_db.an.narrow.id"),
                                               ("prod_db.an.wide.email", "prod_db.an.narrow.email")}


def test_sync_off_runs_no_columns_statement_and_leaves_the_star_unresolved(warehouse: Any, tmp_path: Path) -> None:
    outcome, columns_reads, edges = _crawl(_settings(tmp_path))
    assert outcome.report.rows_read == 3 and columns_reads == []
    assert _into(edges, "prod_db.an.c360") == {("prod_db.an.c360.*", "prod_db.raw.customers.*")}


def test_a_failed_load_is_a_warning_without_secrets_and_the_crawl_succeeds(
    warehouse: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    warehouse.execute("DROP TABLE snowflake.account_usage.columns")  # like a role without the grant
    caplog.set_level(logging.INFO)
    outcome, columns_reads, edges = _crawl(_settings(tmp_path, sync_columns=True))
    assert len(columns_reads) == 1 and outcome.report.rows_read == 3 and outcome.report.watermark is not None
    (warning,) = [r for r in caplog.records if getattr(r, "event", None) == "column_catalog_failed"]
    assert warning.levelno == logging.WARNING
    text = warning.getMessage()
    assert "ACCOUNT_USAGE.COLUMNS" in text and "OBJECT_VIEWER" in text and "acme-test" in text
    assert SECRET not in caplog.text and "deleted is null" not in text.lower()  # no SQL text
    assert _into(edges, "prod_db.an.c360") == {("prod_db.an.c360.*", "prod_db.raw.customers.*")}  # lower confidence
    assert _into(edges, "prod_db.an.wide") == {("prod_db.an.wide.id", "prod_db.an.narrow.id"),  # learned still works
                                               ("prod_db.an.wide.email", "prod_db.an.narrow.email")}


def test_the_service_reads_the_catalog_once_per_refresh_period(warehouse: Any, tmp_path: Path) -> None:
    service = Service(_settings(tmp_path, sync_columns=True))
    recorder = WrappedDriver()
    with mock.patch.object(snowflake.connector, "connect", recorder):
        service._crawl("crawl")
        service._crawl("crawl")  # 15 minutes later in real life: the snapshot is still fresh
    assert service.columns.loads == 1 and len(recorder.reading("account_usage.columns")) == 1


def test_column_catalog_reloads_when_old_and_keeps_the_last_snapshot_when_a_reload_fails(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = [0.0]
    answers: list[Any] = [CatalogColumns({"d.s.t": ("a",)}, 1), CatalogColumns({"d.s.t": ("a", "b")}, 2),
                          TransientSourceError("snowflake:acme-test", "cannot read ACCOUNT_USAGE.COLUMNS: timeout")]
    calls: list[tuple[str, ...]] = []

    def fetch(config: Any, *, databases: list[str]) -> CatalogColumns:
        calls.append(tuple(databases))
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    catalog = ColumnCatalog(fetch=fetch, monotonic=lambda: clock[0])
    settings = Settings(telemetry=TelemetrySettings(account="acme-test", user="u", sync_columns=True,
                                                    columns_refresh_minutes=60, columns_databases=["PROD_DB"]))
    assert list(catalog.get(settings).columns_of("d.s.t")) == ["a"]
    clock[0] = 59 * 60
    assert list(catalog.get(settings).columns_of("d.s.t")) == ["a"] and calls == [("PROD_DB",)]
    clock[0] = 61 * 60
    assert list(catalog.get(settings).columns_of("d.s.t")) == ["a", "b"] and len(calls) == 2
    clock[0] = 125 * 60
    assert list(catalog.get(settings).columns_of("d.s.t")) == ["a", "b"]  # the previous snapshot
    assert "previous snapshot" in caplog.text and len(calls) == 3
    off = Settings(telemetry=TelemetrySettings(account="acme-test", sync_columns=False))
    assert ColumnCatalog(fetch=fetch).get(off) is None and len(calls) == 3


def test_sync_columns_without_an_account_fails_at_start_up(tmp_path: Path) -> None:
    config = tmp_path / "lineage-engine.config.yaml"
    config.write_text("telemetry: {provider: file, path: h.jsonl, sync_columns: true}\n")
    with pytest.raises(ConfigError, match="sync_columns .*telemetry.account"):
        load_settings(config)
    config.write_text("telemetry: {provider: snowflake, account: acme, user: u, sync_columns: true,\n"
                      "            columns_databases: [prod_db], columns_refresh_minutes: 120}\n")
    telemetry = load_settings(config).telemetry
    assert (telemetry.sync_columns, telemetry.columns_databases, telemetry.columns_refresh_minutes) == (
        True, ["prod_db"], 120)
