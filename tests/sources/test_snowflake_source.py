"""SnowflakeQueryHistorySource against fakesnow (in-process ``fakesnow.patch()``).

The real snowflake-connector-python runs; fakesnow answers it from DuckDB. QUERY_HISTORY
and ACCESS_HISTORY are built from rows of the bundled sample workload
(``config/sample/query_history.jsonl``, QUERY_HISTORY shape) and small variations of them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import snowflake.connector
from snowflake.connector.errors import OperationalError

from lineage_engine.errors import SourceError, TransientSourceError
from lineage_engine.graph.store import open_graph_store
from lineage_engine.model import QueryRecord, Watermark
from lineage_engine.pipeline import CrawlOptions, crawl_once
from lineage_engine.windows import crawl_windows, is_backfill, plan_windows
from lineage_engine.registry.repository import Registry
from lineage_engine.sources.file import FileQueryHistorySource
from lineage_engine.sources.snowflake import SnowflakeQueryHistorySource
from lineage_engine.sources.snowflake_connection import SnowflakeConnectionConfig
from tests.service.fakesnow_history import account_usage, free_port, load_access_history, load_query_history, read_jsonl

pytestmark = pytest.mark.filterwarnings("ignore:Arrow output:UserWarning")

SAMPLE = Path(__file__).resolve().parents[2] / "config" / "sample" / "query_history.jsonl"
NOW = datetime(2026, 11, 21, 12, 0, tzinfo=timezone.utc)
CONFIG = SnowflakeConnectionConfig(account="acme-test", user="LINEAGE_SVC", password="hunter2-secret",
                                   query_tag="lineage-svc")


@pytest.fixture
def snow() -> Iterator[Any]:
    """A fresh in-memory fakesnow with the two ACCOUNT_USAGE views; yields a loader cursor."""
    with account_usage() as cursor:
        yield cursor


def _row(query_id: str, end: datetime, text: str = "insert into DB.S.T select * from DB.S.SRC", **over: Any) -> dict:
    row = {"query_id": query_id, "query_text": text, "query_type": "INSERT", "start_time": end - timedelta(seconds=5),
           "end_time": end, "execution_status": "SUCCESS", "database_name": "DB", "schema_name": "S",
           "user_name": "DBT_PROD", "role_name": "TRANSFORMER", "warehouse_name": "WH", "query_tag": ""}
    row.update(over)
    return row


def _source(**kw: Any) -> SnowflakeQueryHistorySource:
    kw.setdefault("clock", lambda: NOW)
    return SnowflakeQueryHistorySource(CONFIG, **kw)


def _ids(source: SnowflakeQueryHistorySource, after: Watermark | None = None) -> list[str]:
    return [r.query_id for r in source.fetch_records(after) if isinstance(r, QueryRecord)]


def _sample_rows(days_back: int = 0) -> list[dict]:
    """The bundled sample (30 days of a fictional warehouse), ending two hours before NOW."""
    rows = read_jsonl(SAMPLE)
    last = datetime.fromisoformat(rows[-1]["end_time"])
    delta = NOW - timedelta(hours=2, days=days_back) - last
    for row in rows:
        for key in ("start_time", "end_time"):
            row[key] = (datetime.fromisoformat(row[key]) + delta).isoformat()
    return rows


def test_filters_follow_the_reference_and_exclude_our_own_queries(snow: Any) -> None:
    t = NOW - timedelta(hours=3)
    load_query_history(snow, [
        _row("q01", t, query_type="CREATE_TABLE_AS_SELECT", text="create table DB.S.A as select * from DB.S.B"),
        _row("q02", t, execution_status="FAILED_WITH_ERROR"),
        _row("q03", t, query_type="SELECT", text="select * from DB.S.B"),
        _row("q04", t, query_type="DESCRIBE", text="describe table DB.S.B"),
        _row("q05", t, user_name="LINEAGE_SVC"),  # our user (config.user)
        _row("q06", t, query_tag="lineage-svc:crawl"),  # our tag
        _row("q07", t, query_tag="Lineage-SVC"),  # tags compare case-insensitively
        _row("q08", t, query_tag=None),  # NULL tag is kept (COALESCE)
        _row("q09", t, query_type="ALTER_TABLE", text="alter table DB.S.A swap with DB.S.B"),
        _row("q10", t, query_type="MERGE", query_tag='{"dbt_version": "1.10"}'),
        _row("q11", t, query_type="UNKNOWN", execution_status="FAILED_WITH_INCIDENT"),
    ])
    assert _ids(_source()) == ["q01", "q03", "q08", "q09", "q10"]  # SELECTs: reads, external-function calls
    assert _ids(_source(query_types=["MERGE"])) == ["q10"]  # telemetry.query_filters pushed down


def test_governance_statements_are_read_whatever_their_query_type(snow: Any) -> None:
    """Policy and tag DDL becomes dated registry facts (issue 10 §2): read even outside the lineage types."""
    t = NOW - timedelta(hours=3)
    load_query_history(snow, [
        _row("p1", t, query_type="ALTER_TABLE_MODIFY_COLUMN",
             text="alter table DB.S.A modify column email set masking policy GOV.P.EMAIL_MASK"),
        _row("p2", t, query_type="CREATE_MASKING_POLICY",
             text="create masking policy GOV.P.EMAIL_MASK as (v string) returns string -> '***'"),
        _row("p3", t, query_type="ALTER_TABLE_SET_TAG", text="alter table DB.S.A set tag GOV.T.PII = 'yes'"),
        _row("p4", t, query_type="ALTER_TABLE_ADD_ROW_ACCESS_POLICY",
             text="alter table DB.S.A add row access policy GOV.P.RAP on (region)"),
        _row("p5", t, query_type="SELECT", text="select 'masking policy' from DB.S.A"),
        _row("p6", t, query_type="ALTER_TABLE_MODIFY_COLUMN", execution_status="FAILED_WITH_ERROR",
             text="alter table DB.S.A modify column email unset masking policy"),
        _row("p7", t, query_type="ALTER_TABLE_MODIFY_COLUMN", text="alter table DB.S.A modify column x set not null"),
        _row("p8", t, query_type="CREATE_SHARE", text="create share PARTNER_FEED"),  # egress facts (issue 14)
        _row("p9", t, query_type="CREATE_EXTERNAL_FUNCTION",
             text="create external function DB.S.F(x varchar) returns variant api_integration = I as 'https://x'"),
        _row("p10", t, query_type="ALTER_SESSION", text="alter session set query_tag = 'share function'"),
    ])
    assert _ids(_source(query_types=["INSERT"])) == ["p1", "p2", "p3", "p4", "p8", "p9"]  # not by type: by text
    # SELECTs are read by default; ALTER_TABLE_MODIFY_COLUMN is a lineage type too (p7: the parser decides)
    assert _ids(_source()) == ["p1", "p2", "p3", "p4", "p5", "p7", "p8", "p9"]


def test_keyset_pages_in_end_time_then_query_id_order(snow: Any) -> None:
    t = NOW - timedelta(hours=5)
    rows = [_row(f"q{i}", t + timedelta(minutes=i // 2)) for i in (6, 1, 4, 3, 0, 5, 2)]  # ties on end_time
    load_query_history(snow, rows)
    source = _source(page_size=2)
    records = [r for r in source.fetch_records(None) if isinstance(r, QueryRecord)]
    assert [r.query_id for r in records] == ["q0", "q1", "q2", "q3", "q4", "q5", "q6"]
    assert source.statements_run == 4  # 2 + 2 + 2 + 1 rows: four keyset pages, no OFFSET
    assert all(r.end_time.tzinfo is not None and r.end_time.utcoffset() == timedelta(0) for r in records)
    # After a watermark (q3): strictly later rows only, although the overlap re-scans 30 minutes.
    after = Watermark("snowflake:acme-test", records[3].end_time, "q3")
    assert _ids(_source(page_size=2, overlap=timedelta(minutes=30)), after) == ["q4", "q5", "q6"]


def test_lag_keeps_the_read_behind_snowflake_latency(snow: Any) -> None:
    load_query_history(snow, [_row("old", NOW - timedelta(minutes=90)), _row("recent", NOW - timedelta(minutes=30))])
    assert _ids(_source()) == ["old"]  # default lag: 60 minutes
    assert _ids(_source(lag=timedelta(minutes=15))) == ["old", "recent"]
    # The next pass, an hour later, reads the recent row after the watermark and nothing twice.
    later = _source(clock=lambda: NOW + timedelta(hours=1))
    assert _ids(later, Watermark("k", NOW - timedelta(minutes=90), "old")) == ["recent"]


class _FlakyDriver:
    """The real driver's connect, whose Nth ``execute`` raises a network error once."""

    def __init__(self, fail_on: int) -> None:
        self.fail_on, self.calls, self.kwargs = fail_on, 0, None

    def __call__(self, **kwargs: Any) -> Any:
        self.kwargs = kwargs
        conn = snowflake.connector.connect(**kwargs)
        driver = self

        class Cursor:
            def __init__(self) -> None:
                self._c = conn.cursor()
                self.description = None

            def execute(self, sql: str, params: Any = None) -> None:
                driver.calls += 1
                if driver.calls == driver.fail_on:
                    raise OperationalError(msg="Could not connect to Snowflake backend", errno=250001)
                self._c.execute(sql, params)
                self.description = self._c.description

            def fetchall(self) -> list[Any]:
                return self._c.fetchall()

            def close(self) -> None:
                self._c.close()

        class Conn:
            def cursor(self) -> Cursor:
                return Cursor()

            def close(self) -> None:
                conn.close()

        return Conn()


def _stores(tmp_path: Path, name: str) -> tuple[Any, Registry]:
    store = open_graph_store("embedded", path=tmp_path / name / "graph")
    registry = Registry(f"sqlite:///{tmp_path / name / 'registry.db'}")
    registry.migrate()
    return store, registry


def _edges(store: Any) -> list[tuple]:
    return [(e.downstream, e.upstream, e.valid_from, e.valid_to, e.observations, e.via) for e in store.iter_edges()]


@pytest.mark.parametrize("workers", [1, 2])
def test_keyset_resume_after_a_failure_between_pages(snow: Any, tmp_path: Path, workers: int) -> None:
    """With parse workers the crawl reads a batch ahead: a failure reading it still commits the batch before."""
    rows = _sample_rows()
    load_query_history(snow, rows)
    options = CrawlOptions(batch_size=20, parse_workers=workers)
    flaky = _FlakyDriver(fail_on=3)
    store, registry = _stores(tmp_path, "resumed")
    with pytest.raises(TransientSourceError, match="acme-test"):
        crawl_once(_source(page_size=40, connect_fn=flaky), store, registry, options)
    mark = registry.get_watermark("snowflake:acme-test")
    assert mark is not None and mark.rows_total == 80  # two pages committed, the third failed
    resumed = crawl_once(_source(page_size=40), store, registry, options)
    assert resumed.rows_read == sum(1 for r in _source().fetch_records(None)) - 80  # nothing read twice

    clean_store, clean_registry = _stores(tmp_path, "clean")
    crawl_once(_source(page_size=40), clean_store, clean_registry, options)
    assert _edges(store) == _edges(clean_store) and _edges(store)
    for s in (store, clean_store):
        s.close()


def test_backfill_windows_commit_day_by_day_and_resume_after_a_failed_window(snow: Any, tmp_path: Path) -> None:
    rows = _sample_rows()
    load_query_history(snow, rows)
    options = CrawlOptions()
    windows = plan_windows(None, now=NOW, lag=timedelta(minutes=60), backfill_days=30)
    assert windows[0].start == datetime(2026, 10, 22, tzinfo=timezone.utc) and windows[-1].end == NOW - timedelta(hours=1)
    assert all(w.end - w.start <= timedelta(days=1) for w in windows) and len(windows) == 31

    store, registry = _stores(tmp_path, "windows")
    flaky = _FlakyDriver(fail_on=6)  # the sixth statement: the sixth window (one page each)
    source = _source(connect_fn=flaky)
    first = crawl_windows(source, store, registry, options, windows)
    source.close()
    assert first.failed == windows[5] and isinstance(first.error, TransientSourceError)
    assert len(first.completed) == 5
    mark = registry.get_watermark(source.key)
    assert mark is not None and (mark.end_time, mark.query_id) == (windows[4].end, "")  # days 1-5 committed

    rest = plan_windows(mark, now=NOW, lag=timedelta(minutes=60), backfill_days=30)
    assert rest == windows[5:]  # the failed day is pending, and the first one planned
    second = crawl_windows(_source(), store, registry, options, rest)
    assert second.error is None and len(second.completed) == 26
    assert is_backfill(None, windows) and is_backfill(mark, rest)
    caught_up = registry.get_watermark(source.key)
    later = plan_windows(caught_up, now=NOW + timedelta(minutes=15), lag=timedelta(minutes=60), backfill_days=30)
    assert len(later) == 1 and not is_backfill(caught_up, later)  # steady state: one short window

    file_store, file_registry = _stores(tmp_path, "file")
    history = tmp_path / "history.jsonl"
    history.write_text("".join(json.dumps(r) + "\n" for r in rows))
    crawl_once(FileQueryHistorySource(history), file_store, file_registry, options)
    assert _edges(store) == _edges(file_store)  # same graph as one pass over the file
    for s in (store, file_store):
        s.close()


def test_same_parameterized_hash_is_parsed_once_and_every_run_is_observed(snow: Any, tmp_path: Path) -> None:
    t = NOW - timedelta(hours=4)
    text = "insert into DB.S.DAILY select * from DB.S.EVENTS where day = '{}'"
    load_query_history(snow, [
        _row(f"h{i}", t + timedelta(minutes=i), text.format(f"2026-11-0{i}"), query_parameterized_hash="HASH-A")
        for i in range(1, 4)
    ] + [_row("other", t + timedelta(minutes=9), text.format("x"), query_parameterized_hash="HASH-B")])
    store, registry = _stores(tmp_path, "dedupe")
    report = crawl_once(_source(), store, registry, CrawlOptions())
    assert (report.statements_parsed, report.cache_hits) == (4, 2)  # three texts, one parse for HASH-A
    (edge,) = list(store.iter_edges())
    assert (edge.downstream, edge.upstream, edge.observations) == ("db.s.daily", "db.s.events", 4)
    assert edge.last_seen == t + timedelta(minutes=9) and edge.last_query_id == "other"
    store.close()


def test_access_history_wins_over_parsing_and_truncated_records_fall_back(snow: Any, tmp_path: Path) -> None:
    t = NOW - timedelta(hours=4)
    load_query_history(snow, [
        _row("ah1", t, "insert into DB.S.T1 select * from DB.S.VIEW_OF_CUSTOMERS"),
        _row("ah2", t + timedelta(minutes=1), "insert into DB.S.T2 select * from DB.S.ORDERS"),
        _row("ah3", t + timedelta(minutes=2), "insert into DB.S.T3 select * from DB.S.PARSED"),
    ])
    column = {"columnName": "EMAIL", "directSources": [
        {"objectDomain": "Table", "objectId": 1, "objectName": "DB.RAW.CUSTOMERS", "columnName": "EMAIL"}]}
    load_access_history(snow, "ah1", t - timedelta(seconds=5),
                        [{"objectDomain": "Table", "objectId": 9, "objectName": "DB.S.T1", "columns": [column]}],
                        [{"objectDomain": "View", "objectId": 2, "objectName": "DB.S.VIEW_OF_CUSTOMERS"}])
    load_access_history(snow, "ah2", t + timedelta(minutes=1) - timedelta(seconds=5),
                        [{"objectDomain": "TRUNCATED", "objectId": -1}], [])
    store, registry = _stores(tmp_path, "ah")
    report = crawl_once(_source(access_history=True), store, registry, CrawlOptions())
    assert report.enriched == 1
    pairs = {(e.downstream, e.upstream) for e in store.iter_edges()}
    assert pairs == {("db.s.t1", "db.raw.customers"), ("db.s.t1", "db.s.view_of_customers"),  # ACCESS_HISTORY
                     ("db.s.t2", "db.s.orders"),  # truncated record: the parse
                     ("db.s.t3", "db.s.parsed")}  # no record: the parse
    provenance = {(e.downstream, e.upstream): e.provenance for e in store.iter_edges()}
    assert provenance == {("db.s.t1", "db.raw.customers"): "access_history",
                          ("db.s.t1", "db.s.view_of_customers"): "access_history",
                          ("db.s.t2", "db.s.orders"): "parsed", ("db.s.t3", "db.s.parsed"): "parsed"}
    store.close()


def test_sessions_are_utc_and_tagged_and_keys_load(snow: Any, tmp_path: Path) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = tmp_path / "rsa_key.p8"
    pem.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                      serialization.BestAvailableEncryption(b"open-sesame")))
    driver = _FlakyDriver(fail_on=0)
    config = SnowflakeConnectionConfig(account="acme-test", user="LINEAGE_SVC", private_key_path=pem,
                                       private_key_passphrase="open-sesame", query_tag="lineage-svc")
    assert _ids(SnowflakeQueryHistorySource(config, clock=lambda: NOW, connect_fn=driver)) == []
    assert driver.kwargs["session_parameters"] == {"TIMEZONE": "UTC", "QUERY_TAG": "lineage-svc"}
    assert isinstance(driver.kwargs["private_key"], bytes) and "password" not in driver.kwargs

    wrong = SnowflakeConnectionConfig(account="acme-test", user="LINEAGE_SVC", private_key_path=pem,
                                      private_key_passphrase="not-it")
    with pytest.raises(SourceError) as caught:
        list(SnowflakeQueryHistorySource(wrong, clock=lambda: NOW, connect_fn=driver).fetch_records(None))
    assert str(pem) in str(caught.value) and "not-it" not in str(caught.value)
    assert "hunter2" not in repr(CONFIG)


def test_unreachable_host_is_transient_and_names_account_and_host_but_no_secret() -> None:
    port = free_port()
    config = SnowflakeConnectionConfig(account="acme-test", user="LINEAGE_SVC", password="hunter2-secret",
                                       host="127.0.0.1", port=port, protocol="http", login_timeout_seconds=3)
    with pytest.raises(TransientSourceError) as caught:
        list(SnowflakeQueryHistorySource(config, clock=lambda: NOW).fetch_records(None))
    message = str(caught.value)
    assert "acme-test" in message and f"127.0.0.1:{port}" in message
    assert "hunter2" not in message and caught.value.account == "acme-test"
