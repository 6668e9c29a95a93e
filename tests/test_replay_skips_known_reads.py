"""A crawl reading a source again does not aggregate read-only rows again (issue 13): the replay
changes nothing (same edges, same access facts); their SELECTs are read from the stored extractions
for their result sets (review s15 Q3), not parsed anew."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from lineage_engine.graph.store import open_graph_store
from lineage_engine.pipeline import CrawlOptions, crawl_once
from lineage_engine.profiling import Profile
from lineage_engine.registry.repository import Registry
from lineage_engine.sources.file import FileQueryHistorySource

SAMPLE = Path(__file__).resolve().parents[1] / "config" / "sample" / "query_history.jsonl"


def snapshot(store, registry: Registry) -> tuple[list[object], list[object], list[tuple[object, ...]]]:
    with registry._engine.connect() as conn:  # noqa: SLF001 - the stored access facts, as stored
        reads = [tuple(r) for r in conn.execute(text(
            "select principal, role_name, object_kind, object_id, day, reads, first_query_id "
            "from access_reads order by principal, role_name, object_kind, object_id, day"))]
    return list(store.iter_edges()), list(store.iter_column_edges()), reads


def test_replay_aggregates_no_read_again_and_changes_nothing(tmp_path: Path) -> None:
    store = open_graph_store("embedded", path=tmp_path / "graph")
    store.migrate()
    registry = Registry(f"sqlite:///{tmp_path / 'registry.db'}")
    registry.migrate()
    options = CrawlOptions(batch_size=50)
    parsed = Profile()
    first = crawl_once(FileQueryHistorySource(SAMPLE), store, registry, options, profile=parsed)
    selects = parsed.calls["parse.reads"]  # read-only rows parsed for their reads
    assert first.reads_known == 0 and selects > 0
    before = snapshot(store, registry)

    assert registry.reset_watermark(FileQueryHistorySource(SAMPLE).key)
    profile = Profile()
    again = crawl_once(FileQueryHistorySource(SAMPLE), store, registry, options, profile=profile)
    assert 0 < again.reads_known <= selects  # the SELECTs whose reads were stored
    # read again for their result sets (a RESULT_SCAN after them copies them, review s15 Q3), from the
    # extractions the first crawl stored: nothing parsed anew for them
    assert profile.calls["parse.reads"] == selects and again.cache_hits >= selects
    assert again.reads_new == 0 and again.merge.edges_created == 0 and again.merge.column_edges_created == 0
    assert snapshot(store, registry) == before
    store.close()
