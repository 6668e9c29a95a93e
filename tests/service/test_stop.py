"""A stop request (SIGTERM) commits the rows read so far, mid-batch, and a re-run goes on exactly."""

from __future__ import annotations

from pathlib import Path

from lineage_engine.graph.store import open_graph_store
from lineage_engine.pipeline import CrawlOptions, crawl_once
from lineage_engine.registry.repository import Registry
from lineage_engine.sources.file import FileQueryHistorySource

SAMPLE = Path(__file__).resolve().parents[2] / "config" / "sample" / "query_history.jsonl"


def _crawl(tmp_path: Path, name: str, stop_after: int | None = None) -> tuple[list[tuple], Registry, object]:
    store = open_graph_store("embedded", path=tmp_path / name / "graph")
    registry = Registry(f"sqlite:///{tmp_path / name / 'registry.db'}")
    registry.migrate()
    read = [0]
    stop = (lambda: read[0] >= stop_after) if stop_after is not None else None
    report = crawl_once(FileQueryHistorySource(SAMPLE), store, registry, CrawlOptions(batch_size=1000),
                        progress=lambda n: read.__setitem__(0, n), stop=stop)
    return report, registry, store


def test_stop_commits_the_partial_batch_and_the_next_crawl_resumes_after_it(tmp_path: Path) -> None:
    stopped, registry, store = _crawl(tmp_path, "stopped", stop_after=200)
    assert stopped.stopped and stopped.rows_read == 200 and stopped.batches == 1  # batch of 1000 cut short
    mark = registry.get_watermark(FileQueryHistorySource(SAMPLE).key)
    assert mark is not None and mark.rows_total == 200
    rest = crawl_once(FileQueryHistorySource(SAMPLE), store, registry, CrawlOptions())
    rows = len(SAMPLE.read_text().splitlines())
    assert rest.rows_read == rows - 200 and not rest.stopped
    clean, _, clean_store = _crawl(tmp_path, "clean")
    assert list(store.iter_edges()) == list(clean_store.iter_edges())
    store.close()
    clean_store.close()
