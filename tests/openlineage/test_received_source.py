"""Received run events merged by the crawl (issue 16 §2): in order, once, future ones quarantined."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from lineage_engine.graph.store import open_graph_store
from lineage_engine.registry.repository import Registry
from lineage_engine.sources.openlineage import SOURCE_KEY, crawl_openlineage, receive_events
from tests.openlineage.test_conversion import WAREHOUSE, _event

NOW = datetime(2026, 3, 15, tzinfo=timezone.utc)


def test_stored_events_merge_once_and_future_ones_are_quarantined(tmp_path: Path) -> None:
    registry = Registry(f"sqlite:///{tmp_path / 'registry.db'}")
    registry.migrate()
    store = open_graph_store("embedded", path=tmp_path / "graph")
    store.migrate()
    try:
        future = _event(eventTime="2026-03-16T10:00:00Z", run={"runId": "1b5e2f0e-3c5a-4a77-9a3e-1f0e6f1d2c3b"})
        assert receive_events(registry, [_event(), future, _event()]).stored == 2  # the repeat is recognised
        report = crawl_openlineage(store, registry, WAREHOUSE, clock=lambda: NOW, batch=1)
        assert (report.rows_read, report.events, report.quarantined, report.batches) == (2, 1, 1, 2)
        [entry] = registry.list_quarantine()
        assert entry.reason_code == "end_time_in_future" and entry.source == SOURCE_KEY
        edges = list(store.iter_edges())
        assert [(e.downstream, e.upstream, e.provenance) for e in edges] == [
            ("s3://exports", "prod.raw.customers", "openlineage")]
        again = crawl_openlineage(store, registry, WAREHOUSE, clock=lambda: NOW)
        assert again.rows_read == 0 and list(store.iter_edges()) == edges
    finally:
        store.close()
        registry.close()
