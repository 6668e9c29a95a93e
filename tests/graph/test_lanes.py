"""Lineage lanes (issue 16): each producer keeps its own intervals, on both graph backends."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from lineage_engine.graph.lanes import QUERY_HISTORY, keyed_by_provenance, lane_of, split
from lineage_engine.model import ColumnLineage, DatasetRef, LineageEvent, Operation

T0 = datetime(2026, 3, 1, tzinfo=timezone.utc)


def _ref(name: str) -> DatasetRef:
    return DatasetRef(f"db.s.{name}", f"DB.S.{name.upper()}")


def _replace(hours: float, target: str, source: str, provenance: str) -> LineageEvent:
    return LineageEvent(T0 + timedelta(hours=hours), f"{provenance}-{hours:g}", "CREATE_TABLE_AS_SELECT",
                        Operation.REPLACE, _ref(target), (_ref(source),), replaces=True,
                        columns=(ColumnLineage(f"db.s.{source}.email", f"db.s.{target}.email"),),
                        provenance=provenance)


def test_lanes_keep_their_own_intervals(graph_store) -> None:  # type: ignore[no-untyped-def]
    store = graph_store
    store.migrate()
    store.apply_events([_replace(5, "x", "a", "parsed")])
    # an older dbt replace: not skipped by the query history's replay mark, and closes nothing of it
    report = store.apply_events([_replace(1, "x", "b", "dbt")])
    assert report.events_skipped == 0 and report.edges_created == 1 and report.edges_closed == 0
    # a newer dbt replace closes the dbt edge it no longer derives, never the parsed one
    store.apply_events([_replace(9, "x", "c", "dbt")])
    rows = {(e.upstream, e.provenance): e for e in store.iter_edges()}
    assert set(rows) == {("db.s.a", "parsed"), ("db.s.b", "dbt"), ("db.s.c", "dbt")}
    assert rows[("db.s.a", "parsed")].valid_to is None
    assert rows[("db.s.b", "dbt")].valid_to == T0 + timedelta(hours=9)
    assert rows[("db.s.c", "dbt")].valid_to is None
    columns = {(e.upstream, e.provenance): e.valid_to for e in store.iter_column_edges()}
    assert columns == {("db.s.a.email", "parsed"): None, ("db.s.b.email", "dbt"): T0 + timedelta(hours=9),
                       ("db.s.c.email", "dbt"): None}
    # the same edge from two lanes: two intervals; a replay changes nothing
    store.apply_events([_replace(9.5, "x", "c", "parsed")])
    before = list(store.iter_edges()), list(store.iter_column_edges())
    again = store.apply_events([_replace(9, "x", "c", "dbt"), _replace(9.5, "x", "c", "parsed")])
    assert again.edges_created == again.edges_closed == again.column_edges_created == 0
    assert (list(store.iter_edges()), list(store.iter_column_edges())) == before
    assert sorted(e.provenance for e in before[0] if e.upstream == "db.s.c") == ["dbt", "parsed"]


def test_lane_names_and_statements() -> None:
    assert lane_of("parsed") == lane_of("access_history") == lane_of(None) == QUERY_HISTORY
    assert lane_of("dbt") == "dbt"
    events = [_replace(1, "x", "a", "dbt"), _replace(2, "x", "a", "parsed"), _replace(3, "y", "a", "dbt")]
    assert [(lane, [e.query_id for e in group]) for lane, group in split(events)] == [
        (QUERY_HISTORY, ["parsed-2"]), ("dbt", ["dbt-1", "dbt-3"])]
    merge = "MERGE (d)-[e:DERIVES_FROM {valid_from: r.valid_from}]->(u) SET e.x = 1"
    assert keyed_by_provenance(merge, QUERY_HISTORY) == merge
    assert "{provenance: r.provenance, valid_from: r.valid_from}" in keyed_by_provenance(merge, "dbt")
