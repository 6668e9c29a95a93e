"""Edge provenance (issue 3) on the embedded graph, including a graph created before it existed."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from lineage_engine.graph.migrate import DERIVES_FROM_PROPERTIES, EMBEDDED_SCHEMA, _columns
from lineage_engine.graph.store import open_graph_store
from lineage_engine.model import DatasetRef, LineageEvent, Operation

T = datetime(2026, 11, 1, tzinfo=timezone.utc)


def _event(query_id: str, hour: int, provenance: str) -> LineageEvent:
    return LineageEvent(at=T.replace(hour=hour), query_id=query_id, query_type="INSERT", operation=Operation.INSERT,
                        target=DatasetRef("db.s.t", "DB.S.T"), sources=(DatasetRef("db.s.src", "DB.S.SRC"),),
                        provenance=provenance)


def _rel_columns(conn: object) -> set[str]:
    result = conn.execute("CALL table_info('DERIVES_FROM') RETURN *")  # type: ignore[attr-defined]
    names = set()
    while result.has_next():
        names.add(result.get_next()[1])
    return names


def test_provenance_follows_the_last_observation_and_old_graphs_are_upgraded(tmp_path: Path) -> None:
    import ladybug

    path = tmp_path / "graph"
    db = ladybug.Database(str(path))  # a graph from before issue 3: DERIVES_FROM without provenance
    conn = ladybug.Connection(db)
    old = {k: v for k, v in DERIVES_FROM_PROPERTIES.items() if k != "provenance"}
    for statement in EMBEDDED_SCHEMA:
        if "ALTER TABLE" not in statement:
            conn.execute(statement.replace(_columns(DERIVES_FROM_PROPERTIES), _columns(old)))
    assert "provenance" not in _rel_columns(conn)

    conn.close()
    db.close()
    store = open_graph_store("embedded", path=path)  # migrates: adds the missing property
    try:
        store.apply_events([_event("q1", 1, "parsed")])
        assert [e.provenance for e in store.iter_edges()] == ["parsed"]
        store.apply_events([_event("q2", 2, "access_history")])
        (edge,) = store.iter_edges()
        assert (edge.provenance, edge.last_query_id, edge.observations) == ("access_history", "q2", 2)
    finally:
        store.close()
