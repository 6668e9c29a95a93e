"""Memory bounds of a long crawl (issue 13 §3): what a crawl keeps does not grow with its history.

- The parse cache holds at most ``parse_cache_mb`` of texts and results (estimated per entry),
  whatever their count, and serves exactly what a fresh extraction gives.
- The embedded graph runs UNWIND statements of at most ``EMBEDDED_CHUNK`` rows and lets the
  engine's binding keep at most ``PREPARED_LIMIT`` prepared statements past a transaction: it
  keeps each with the values it last ran with (111 MiB after 35,000 rows of
  ``benchmarks/scale_history.py`` at 5,000 rows per statement).
- A parse budget watches every statement from one thread per process, not one per statement.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

from lineage_engine.graph.embedded import EMBEDDED_CHUNK, PREPARED_LIMIT, EmbeddedGraphStore
from lineage_engine.model import ColumnLineage, DatasetRef, LineageEvent, Operation, QueryRecord
from lineage_engine.parse_budget import call_with_budget
from lineage_engine.parsing.learned_schema import CrawlSchema, LearnedSchema
from lineage_engine.pipeline import CrawlOptions, ParseCache, cache_entry_bytes
from tests.waiting import HANG_SECONDS

T0 = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


def wide_insert(n: int) -> QueryRecord:
    """A distinct INSERT ... SELECT of 40 columns with a long comment (a few KiB of text)."""
    columns = ", ".join(f"c{i}_{n}" for i in range(40))
    text = f"/* run {n} {'x' * 2000} */ insert into db.s.t{n} ({columns}) select {columns} from db.s.src{n}"
    return QueryRecord(f"q{n}", text, "INSERT", T0, T0 + timedelta(seconds=n), database_name="DB", schema_name="S")


def test_the_parse_cache_stays_under_its_byte_bound_and_serves_fresh_answers() -> None:
    options = CrawlOptions(parse_cache_size=10_000, parse_cache_mb=1)
    cache = ParseCache.for_options(options)
    schema = CrawlSchema(LearnedSchema())
    records = [wide_insert(n) for n in range(400)]
    for record in records:
        result, hit = cache.get_or_extract(record, options, (), schema)
        assert not hit
        assert cache.bytes <= 2**20
    assert len(cache.entries) < 400  # the byte bound, not the count, dropped the oldest
    assert cache.bytes == sum(cache_entry_bytes(k, r, a) for k, (r, a) in cache.entries.items())
    kept = next(reversed(cache.entries))
    last = records[-1]
    assert kept == ParseCache.key(last)
    again, hit = cache.get_or_extract(last, options, (), schema)
    fresh, _ = ParseCache(1).get_or_extract(last, options, (), schema)
    assert hit and again == fresh
    first, hit = cache.get_or_extract(records[0], options, (), schema)  # dropped: parsed again, same answer
    assert not hit and first == ParseCache(1).get_or_extract(records[0], options, (), schema)[0]


def test_a_crawl_cache_has_both_bounds_from_the_options() -> None:
    cache = ParseCache.for_options(CrawlOptions())
    assert cache.size == CrawlOptions().parse_cache_size
    assert cache.max_bytes == CrawlOptions().parse_cache_mb * 2**20


def column_events(count: int) -> list[LineageEvent]:
    """``count`` inserts of one source into distinct targets, 3 column edges each."""
    src = DatasetRef("db.s.src", "SRC")
    return [LineageEvent(T0 + timedelta(minutes=n), f"q{n}", "INSERT", Operation.INSERT,
                         DatasetRef(f"db.s.t{n}", f"T{n}"), (src,),
                         columns=tuple(ColumnLineage(f"db.s.src.c{i}", f"db.s.t{n}.c{i}") for i in range(3)))
            for n in range(count)]


def prepared(store: EmbeddedGraphStore) -> list[tuple[object, ...]]:
    return list(store._conn._pybind_implicit_prepared_cache)  # the binding's cache of prepared statements


def test_the_embedded_graph_writes_in_bounded_chunks_and_keeps_few_prepared_statements(tmp_path: Path) -> None:
    store = EmbeddedGraphStore(tmp_path / "graph")
    sizes: list[int] = []
    execute = store._execute

    def counting(query: str, params: dict[str, object]) -> list[dict[str, object]]:
        sizes.extend(len(v) for v in params.values() if isinstance(v, list))
        return execute(query, params)

    store._execute = counting  # type: ignore[method-assign]
    try:
        store.migrate()
        count = EMBEDDED_CHUNK + 50
        store.apply_events(column_events(count))
        assert max(sizes) == EMBEDDED_CHUNK  # 3 column edges per event: every UNWIND was cut
        assert len({e.downstream for e in store.iter_edges()}) == count
        assert len(list(store.iter_column_edges())) == 3 * count
        for n in range(PREPARED_LIMIT + 10):  # statements of distinct texts, each prepared once
            with store._lock, store._transaction(read_only=True):
                store._execute(f"UNWIND $ids AS i RETURN i + {n} AS x", {"ids": [1, 2]})
        assert len(prepared(store)) <= PREPARED_LIMIT
    finally:
        store.close()


def test_parse_budgets_share_one_watchdog_thread_and_still_stop_a_long_parse() -> None:
    call_with_budget(lambda: None, 30)  # the watchdog of this process exists from here on
    before = threading.active_count()
    during = [call_with_budget(threading.active_count, 30) for _ in range(200)]  # threads alive inside a call
    assert during == [(before, False)] * 200
    stopped = threading.Event()

    def forever() -> None:
        while not stopped.is_set():
            pass

    assert call_with_budget(forever, 0.2) == (None, True)
    assert call_with_budget(lambda: "next", 30) == ("next", False)  # nothing left pending for this thread
    results: list[object] = []
    worker = threading.Thread(target=lambda: results.append(call_with_budget(forever, 0.2)))
    worker.start()
    worker.join(HANG_SECONDS)
    stopped.set()
    assert results == [(None, True)]
