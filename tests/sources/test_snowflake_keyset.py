"""Keyset paging when the driver's END_TIME is coarser than the order Snowflake sorts by.

Snowflake orders QUERY_HISTORY by END_TIME at nanoseconds; the Python driver hands back
datetimes with microseconds. fakesnow (DuckDB) stores microseconds, so the tests reproduce
the same gap one level up: the wrapped driver below truncates every datetime it returns to
the millisecond, while the emulator orders by the microsecond. Rows whose END_TIMEs differ
by less than one driver tick then straddle page and watermark boundaries.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import fakesnow
import pytest
import snowflake.connector

from lineage_engine.graph.store import open_graph_store
from lineage_engine.model import QueryRecord, Watermark
from lineage_engine.pipeline import CrawlOptions, crawl_once
from lineage_engine.registry.repository import Registry
from lineage_engine.sources.snowflake import SnowflakeQueryHistorySource
from lineage_engine.sources.snowflake_connection import SnowflakeConnectionConfig
from tests.service.fakesnow_history import create_views, load_query_history
from tests.sources.wrapped_driver import WrappedDriver

pytestmark = pytest.mark.filterwarnings("ignore:Arrow output:UserWarning")

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=timezone.utc)
TICK = NOW - timedelta(hours=3)  # a millisecond boundary: one driver tick is [TICK, TICK + 1 ms)
CONFIG = SnowflakeConnectionConfig(account="acme-test", user="LINEAGE_SVC", query_tag="lineage-svc")
# Inside one tick, the emulator's order (microseconds) is not the query-id order.
ROWS = [("q5", 100, "a"), ("q9", 200, "b"), ("q1", 300, "c"), ("q3", 1500, "d"), ("q0", 1600, "e")]
ORDER = [query_id for query_id, _, _ in ROWS]


def _row(query_id: str, micros: int, target: str) -> dict[str, Any]:
    end = TICK + timedelta(microseconds=micros)
    return {"query_id": query_id, "query_text": f"insert into DB.S.{target.upper()} select * from DB.S.SRC",
            "query_type": "INSERT", "start_time": end - timedelta(seconds=1), "end_time": end,
            "execution_status": "SUCCESS", "database_name": "DB", "schema_name": "S", "user_name": "DBT"}


@pytest.fixture
def snow() -> Iterator[Any]:
    with fakesnow.patch():
        conn = snowflake.connector.connect(database="SNOWFLAKE", schema="ACCOUNT_USAGE")
        cursor = conn.cursor()
        create_views(cursor)
        load_query_history(cursor, [_row(*r) for r in ROWS])
        yield cursor
        conn.close()


def _coarse(value: Any) -> Any:
    """The driver's datetimes, cut to the millisecond (the emulator keeps microseconds)."""
    if isinstance(value, datetime):
        return value.replace(microsecond=value.microsecond // 1000 * 1000)
    return value


def _source(**kw: Any) -> SnowflakeQueryHistorySource:
    return SnowflakeQueryHistorySource(CONFIG, clock=lambda: NOW, connect_fn=WrappedDriver(_coarse, limit=50), **kw)


def _ids(source: SnowflakeQueryHistorySource, after: Watermark | None = None) -> list[str]:
    return [r.query_id for r in source.fetch_records(after) if isinstance(r, QueryRecord)]


@pytest.mark.parametrize("page_size", [1, 2, 3, 4, 100])
def test_pages_split_inside_one_driver_tick_repeat_and_lose_nothing(snow: Any, page_size: int) -> None:
    assert _ids(_source(page_size=page_size)) == ORDER


@pytest.mark.parametrize("done", range(1, len(ROWS)))
def test_a_watermark_inside_one_driver_tick_resumes_after_exactly_its_row(snow: Any, done: int) -> None:
    # The watermark a crawl commits: the driver's (coarse) END_TIME and the query id of the last row.
    records = [r for r in _source().fetch_records(None) if isinstance(r, QueryRecord)]
    last = records[done - 1]
    assert last.end_time.microsecond % 1000 == 0  # the driver's value, not the exact one
    after = Watermark("snowflake:acme-test", last.end_time, last.query_id)
    for page_size in (1, 2, 100):
        assert _ids(_source(page_size=page_size), after) == ORDER[done:], page_size


def test_window_boundary_watermarks_stay_exact(snow: Any) -> None:
    # advance_watermark stores (window end, ""): every row at or after the end is still to read.
    assert _ids(_source(), Watermark("snowflake:acme-test", TICK + timedelta(microseconds=200), "")) == ORDER[1:]
    assert _ids(_source(), Watermark("snowflake:acme-test", TICK + timedelta(microseconds=201), "")) == ORDER[2:]


def test_a_crawl_stopped_inside_one_driver_tick_resumes_to_the_clean_graph(snow: Any, tmp_path: Path) -> None:
    def stores(name: str) -> tuple[Any, Registry]:
        registry = Registry(f"sqlite:///{tmp_path / name / 'registry.db'}")
        registry.migrate()
        return open_graph_store("embedded", path=tmp_path / name / "graph"), registry

    def edges(store: Any) -> list[tuple[Any, ...]]:
        return [(e.downstream, e.upstream, e.observations, e.last_query_id) for e in store.iter_edges()]

    clean, clean_registry = stores("clean")
    crawl_once(_source(page_size=2), clean, clean_registry, CrawlOptions(batch_size=1))
    expected = edges(clean)
    assert len(expected) == len(ROWS)
    clean.close()
    for cut in range(1, len(ROWS)):
        store, registry = stores(f"cut{cut}")
        read = [0]
        crawl_once(_source(page_size=2), store, registry, CrawlOptions(batch_size=1),
                   progress=lambda n: read.__setitem__(0, n), stop=lambda: read[0] >= cut)
        resumed = crawl_once(_source(page_size=2), store, registry, CrawlOptions(batch_size=1))
        assert resumed.rows_read == len(ROWS) - cut, cut
        assert edges(store) == expected, cut  # nothing lost, nothing observed twice
        store.close()
