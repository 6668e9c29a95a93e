"""GraphStore contract for column lineage (issue 5), run on every available backend.

Column nodes, HAS_COLUMN, and column-to-column DERIVES_FROM intervals follow the dataset
edges' temporal contract (lineage_engine/graph/store.py); each case asserts exact counts.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from lineage_engine.errors import GraphError
from lineage_engine.graph import cypher_store
from lineage_engine.graph.store import GraphStore
from lineage_engine.model import ColumnLineage, DatasetRef, EdgeRow, LineageEvent, MergeReport, Operation, SavedTrace

T0 = datetime(2024, 3, 1, tzinfo=UTC)
COLUMN = SavedTrace(name="_column", text="MATCH (c:`Column` {id: $id}) RETURN c AS node")
HAS_COLUMN = SavedTrace(name="_has_column", text=(
    "MATCH (d:Dataset)-[:HAS_COLUMN]->(c:`Column`) RETURN d.id AS dataset, c.id AS col ORDER BY dataset, col"))


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def ev(hours: float, op: Operation, target: str, *edges: tuple[str, ...], sources: tuple[str, ...] = (),
       counterpart: str | None = None, query_id: str | None = None, via: tuple[str, ...] = ()) -> LineageEvent:
    """An event with column edges ``(source, target[, transform[, kind]])``; its sources are their datasets."""
    columns = tuple(ColumnLineage(e[0], e[1], *e[2:]) for e in edges)  # type: ignore[arg-type]
    datasets = sorted({*sources, *(e[0].rpartition(".")[0] for e in edges)})
    return LineageEvent(
        at=at(hours), query_id=query_id or f"q{hours:06.2f}", query_type=op.name, operation=op,
        target=DatasetRef(target, target.upper()), sources=tuple(DatasetRef(s, s.upper()) for s in datasets),
        replaces=op in (Operation.REPLACE, Operation.CLONE), counterpart=DatasetRef(counterpart, counterpart.upper())
        if counterpart else None, via=via, columns=columns,
    )


def spans(store: GraphStore, as_of: datetime | None = None) -> list[tuple[str, str, str, datetime, datetime | None]]:
    return [(e.downstream, e.upstream, e.transform, e.valid_from, e.valid_to) for e in store.iter_column_edges(as_of)]


def open_columns(store: GraphStore) -> set[tuple[str, str]]:
    return {(e.downstream, e.upstream) for e in store.iter_column_edges() if e.valid_to is None}


def test_batch_with_repeated_columns_stores_exact_counts_nodes_and_links(store: GraphStore) -> None:
    rng = random.Random(5)
    sources = [f"d.s.src{i}.c{j}" for i in range(4) for j in range(5)]
    events, wanted = [], set()
    for n, target in enumerate(f"d.s.t{i:02d}" for i in range(30)):  # every source column repeats ~12 times
        picked = rng.sample(sources, 8)
        edges = [(s, f"{target}.{s.rpartition('.')[2]}_{k}") for k, s in enumerate(picked)]
        wanted.update((t, s) for s, t in edges)
        events.append(ev(1 + n / 100, Operation.INSERT, target, *edges))
    report = store.apply_events(events)
    assert report.column_edges_created == len(wanted) == 240
    counts = store.counts()
    columns = {c for pair in wanted for c in pair}
    datasets = {c.rpartition(".")[0] for c in columns}
    assert (counts.datasets, counts.columns, counts.column_edges) == (len(datasets), len(columns), 240)
    assert counts.dataset_edges == len({(t.rpartition(".")[0], s.rpartition(".")[0]) for t, s in wanted})
    assert open_columns(store) == wanted
    links = store.run_trace(HAS_COLUMN, {})
    assert [(r["dataset"], r["col"]) for r in links] == sorted((c.rpartition(".")[0], c) for c in columns)
    node = store.run_trace(COLUMN, {"id": "d.s.src0.c1"})[0]["node"]
    assert (node["dataset_id"], node["name"]) == ("d.s.src0", "c1")  # type: ignore[index]


HISTORY = [
    ev(1, Operation.INSERT, "d.s.b", ("d.s.a.x", "d.s.b.x"), via=("d.s.tmp",)),
    ev(2, Operation.INSERT, "d.s.b", ("d.s.a.x", "d.s.b.x"), ("d.s.a.y", "d.s.b.h", "masked")),
    ev(3, Operation.REPLACE, "d.s.c", ("d.s.b.x", "d.s.c.x"), ("d.s.b.h", "d.s.c.h")),
    ev(4, Operation.REPLACE, "d.s.c", ("d.s.a.x", "d.s.c.x", "expression")),
    ev(5, Operation.INSERT, "d.s.b", ("d.s.a.y", "d.s.b.h")),  # a clear copy beside the hashed one
    ev(6, Operation.RENAME, "d.s.c", counterpart="d.s.c2"),
    ev(7, Operation.DROP, "d.s.b"),
    ev(8, Operation.INSERT, "d.s.b", ("d.s.a.x", "d.s.b.x")),
]


def test_reapplying_and_overlapping_batches_equal_one_clean_run(open_store, tmp_path) -> None:  # type: ignore[no-untyped-def]
    store = open_store()
    for start, stop in ((0, 3), (1, 6), (0, 8), (5, 8)):  # a crawl killed and re-run, twice
        store.apply_events(HISTORY[start:stop])
    assert store.apply_events(HISTORY) == MergeReport(events_skipped=len(HISTORY))
    replayed = (store.counts(), list(store.iter_column_edges()), list(store.iter_edges()))
    store.close()
    for path in tmp_path.iterdir():
        path.unlink()
    clean = open_store()
    clean.apply_events(HISTORY)
    assert (clean.counts(), list(clean.iter_column_edges()), list(clean.iter_edges())) == replayed
    assert spans(clean) == [
        ("d.s.b.h", "d.s.a.y", "masked", at(2), at(5)),     # widened to identity by the clear copy
        ("d.s.b.h", "d.s.a.y", "identity", at(5), at(7)),   # ... then dropped
        ("d.s.b.x", "d.s.a.x", "identity", at(1), at(7)),
        ("d.s.b.x", "d.s.a.x", "identity", at(8), None),    # re-created: a second interval
        ("d.s.c.h", "d.s.b.h", "identity", at(3), at(4)),   # replaced without h
        ("d.s.c.x", "d.s.a.x", "expression", at(4), at(6)),  # renamed away
        ("d.s.c.x", "d.s.b.x", "identity", at(3), at(4)),
        ("d.s.c2.x", "d.s.a.x", "expression", at(6), None),
    ]
    b = [e for e in clean.iter_column_edges() if e.downstream == "d.s.b.x" and e.valid_to is not None][0]
    assert (b.observations, b.last_query_id, b.via, b.kind) == (2, "q002.00", ("d.s.tmp",), "DIRECT")


def test_stored_column_interval_reobserved_in_later_batches_keeps_every_field(store: GraphStore) -> None:
    # one batch per event: each re-observes the stored interval (the write of what changed only,
    # with via when it grew, or every field when the query type or provenance changed)
    from dataclasses import replace as changed

    edge = ("d.s.a.x", "d.s.b.x")
    batches = [
        ev(1, Operation.INSERT, "d.s.b", edge),
        ev(2, Operation.INSERT, "d.s.b", edge),                      # only last_seen, count, statement
        ev(3, Operation.INSERT, "d.s.b", edge, via=("d.s.tmp",)),    # via grows
        ev(4, Operation.MERGE, "d.s.b", edge),                       # the query type changes
        changed(ev(5, Operation.MERGE, "d.s.b", edge), provenance="access_history"),
        changed(ev(6, Operation.MERGE, "d.s.b", edge, via=("d.s.tmp2",)), provenance="access_history"),
    ]
    seen = []
    for event in batches:
        store.apply_events([event])
        (row,) = [e for e in store.iter_column_edges() if (e.upstream, e.downstream) == edge]
        seen.append((row.valid_from, row.last_seen, row.observations, row.last_query_id, row.query_type,
                     row.provenance, row.via))
    assert seen == [
        (at(1), at(1), 1, "q001.00", "INSERT", "parsed", ()),
        (at(1), at(2), 2, "q002.00", "INSERT", "parsed", ()),
        (at(1), at(3), 3, "q003.00", "INSERT", "parsed", ("d.s.tmp",)),
        (at(1), at(4), 4, "q004.00", "MERGE", "parsed", ("d.s.tmp",)),
        (at(1), at(5), 5, "q005.00", "MERGE", "access_history", ("d.s.tmp",)),
        (at(1), at(6), 6, "q006.00", "MERGE", "access_history", ("d.s.tmp", "d.s.tmp2")),
    ]


def test_column_as_of_reads_are_exact_at_interval_boundaries(store: GraphStore) -> None:
    store.apply_events(HISTORY)
    tick = timedelta(microseconds=1)
    assert spans(store, at(1) - tick) == []
    assert [(d, u, t) for d, u, t, _, _ in spans(store, at(4) - tick)] == [
        ("d.s.b.h", "d.s.a.y", "masked"), ("d.s.b.x", "d.s.a.x", "identity"),
        ("d.s.c.h", "d.s.b.h", "identity"), ("d.s.c.x", "d.s.b.x", "identity")]
    assert [(d, u, t) for d, u, t, _, _ in spans(store, at(5))] == [
        ("d.s.b.h", "d.s.a.y", "identity"), ("d.s.b.x", "d.s.a.x", "identity"), ("d.s.c.x", "d.s.a.x", "expression")]
    assert [d for d, *_ in spans(store, at(7.5))] == ["d.s.c2.x"]


def test_direct_and_indirect_edges_of_one_pair_are_two_relationships(store: GraphStore) -> None:
    store.apply_events([ev(1, Operation.INSERT, "d.s.t", ("d.s.a.k", "d.s.t.v"),
                           ("d.s.a.k", "d.s.t.v", "expression", "INDIRECT"))])
    store.apply_events([ev(2, Operation.INSERT, "d.s.t", ("d.s.a.k", "d.s.t.v", "expression", "INDIRECT"))])
    rows = {(e.kind, e.observations) for e in store.iter_column_edges()}
    assert rows == {("DIRECT", 1), ("INDIRECT", 2)}
    assert store.counts().column_edges == 2


def test_clone_swap_drop_moves_columns_without_self_loops(store: GraphStore) -> None:
    store.apply_events([
        ev(1, Operation.REPLACE, "d.s.prod", ("d.s.src.e", "d.s.prod.e", "expression")),
        ev(2, Operation.CLONE, "d.s.prod_clone", ("d.s.prod.e", "d.s.prod_clone.e")),
        ev(3, Operation.SWAP, "d.s.prod", counterpart="d.s.prod_clone"),
        ev(4, Operation.DROP, "d.s.prod_clone"),
    ])
    edges = list(store.iter_column_edges())
    assert all(e.downstream.rpartition(".")[0] != e.upstream.rpartition(".")[0] for e in edges)
    assert open_columns(store) == {("d.s.prod.e", "d.s.src.e")}
    assert spans(store, at(3.5)) == [("d.s.prod.e", "d.s.src.e", "expression", at(1), None),
                                     ("d.s.prod_clone.e", "d.s.src.e", "expression", at(3), at(4))]


def test_failed_batch_stores_no_column_either(store: GraphStore, monkeypatch: pytest.MonkeyPatch) -> None:
    store.apply_events([ev(1, Operation.REPLACE, "d.s.t", ("d.s.a.x", "d.s.t.x"))])
    before = (store.counts(), list(store.iter_column_edges()))
    real = store._execute  # type: ignore[attr-defined]

    def failing(query: str, params: dict[str, object]) -> list[dict[str, object]]:
        if query == cypher_store.CLOSE_COLUMN_INTERVALS:  # after every other write of the batch
            raise GraphError(store.backend, "injected failure")
        return real(query, params)

    monkeypatch.setattr(store, "_execute", failing)
    batch = [ev(2, Operation.REPLACE, "d.s.t", ("d.s.b.y", "d.s.t.y")), ev(2, Operation.INSERT, "d.s.u", ("d.s.t.y", "d.s.u.y"))]
    with pytest.raises(GraphError, match="injected failure"):
        store.apply_events(batch)
    monkeypatch.setattr(store, "_execute", real)
    assert (store.counts(), list(store.iter_column_edges())) == before
    report = store.apply_events(batch)
    assert (report.column_edges_created, report.column_edges_closed) == (2, 1)
    assert store.counts().columns == 5


def test_column_rows_are_edge_rows_with_transform_and_kind(store: GraphStore) -> None:
    store.apply_events([ev(1, Operation.INSERT, "d.s.t", ("d.s.a.e", "d.s.t.h", "masked"), via=("d.s.tmp",))])
    assert list(store.iter_column_edges()) == [
        EdgeRow("d.s.t.h", "d.s.a.e", at(1), None, at(1), at(1), 1, "q001.00", "INSERT", ("d.s.tmp",), "parsed",
                "masked", "DIRECT")]
    assert [e.transform for e in store.iter_edges()] == [""]  # dataset edges carry none


def test_every_transform_is_stored_and_read_back_and_the_trace_follows_unmasking(store: GraphStore) -> None:
    """Issue 10: the transform vocabulary round-trips, and unmasked_pii_columns walks it."""
    from lineage_engine.model import TRANSFORMS
    from lineage_engine.traces import coerce_params, load_trace

    store.apply_events([
        ev(1, Operation.REPLACE, "d.s.t", *[("d.s.o.e", f"d.s.t.{name}", name) for name in TRANSFORMS]),
        ev(2, Operation.REPLACE, "d.s.u", ("d.s.t.masked", "d.s.u.clear", "unmasked"),
           ("d.s.t.masked", "d.s.u.still_masked", "identity")),
    ])
    assert sorted((down, transform) for down, _, transform, _, _ in spans(store)) == sorted(
        [(f"d.s.t.{name}", name) for name in TRANSFORMS] + [("d.s.u.clear", "unmasked"), ("d.s.u.still_masked", "identity")])
    trace = load_trace("unmasked_pii_columns")
    rows = store.run_trace(trace, coerce_params(trace, {"origins": "d.s.o.e", "as_of": at(3).isoformat()}))
    assert sorted(str(r["terminal"]) for r in rows) == [  # counted and masked carry no clear value
        "d.s.t.aggregation", "d.s.t.cast", "d.s.t.expression", "d.s.t.identity", "d.s.t.partial", "d.s.t.unmasked", "d.s.u.clear"]
