"""Traces bounded by their answer (issue 13 §5) answer as before.

``downstream_of`` reads the graph a frontier at a time: the same rows as the walk over the
whole lineage (what it ran before). ``upstream_of`` is answered breadth first: the meaning of
its Cypher (``cypher/upstream_of.cypher``), checked against every trail of at most 10
relationships valid at the instant, enumerated here (datasets, shortest hops, routes = trails
of that length, a shortest path whose every edge is valid), and against the Cypher itself on
the Neo4j test server. (LadybugDB 0.22 answers that Cypher wrongly on cyclic graphs: with
``*1..10`` it returned a dataset at 3 hops that a valid 2-hop path reaches, and downstream
datasets as upstreams; so the embedded engine's Cypher is not the oracle here.) Random
histories of replaces, adds, renames, drops and views, on both backends.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from lineage_engine.exposure.explain import IntervalIndex, explain_path, hops_as_dicts
from lineage_engine.graph.store import GraphStore, open_graph_store
from lineage_engine.model import Asset, DatasetRef, LineageEvent, Operation
from lineage_engine.scan import load_lineage, walk_tables
from lineage_engine.traces import load_trace
from lineage_engine.walk_traces import downstream_of, upstream_of

T0 = datetime(2024, 5, 1, tzinfo=UTC)
NAMES = [f"db.s.t{i:02d}" for i in range(16)]


def history(seed: int) -> list[LineageEvent]:
    rng = random.Random(seed)
    events: list[LineageEvent] = []
    for n in range(45):
        at = T0 + timedelta(minutes=10 * n)
        target = rng.choice(NAMES)
        roll = rng.random()
        kind = "view" if target.endswith(("3", "7")) else "table"
        if roll < 0.08:
            new = rng.choice(NAMES)
            if new != target:
                events.append(LineageEvent(at, f"q{n}", "ALTER_TABLE", Operation.RENAME, DatasetRef(target, target.upper()),
                                           (), counterpart=DatasetRef(new, new.upper())))
            continue
        if roll < 0.12:
            events.append(LineageEvent(at, f"q{n}", "DROP", Operation.DROP, DatasetRef(target, target.upper()), ()))
            continue
        # Mostly from datasets earlier in NAMES (renames bring cycles): paths the Cypher can enumerate.
        before = NAMES[:NAMES.index(target)] or NAMES[1:2]
        sources = tuple(DatasetRef(s, s.upper()) for s in rng.sample(before, min(len(before), rng.randint(1, 2)))
                        if s != target)
        replaces = roll < 0.55
        op = Operation.REPLACE if replaces else Operation.INSERT
        events.append(LineageEvent(at, f"q{n}", "CREATE_TABLE_AS_SELECT" if replaces else "INSERT", op,
                                   DatasetRef(target, target.upper(), kind), sources, replaces=replaces))
    return events


def fill(store: GraphStore, seed: int) -> None:
    store.apply_events(history(seed))
    store.sync_classifications([Asset(NAMES[2], classification="restricted", steward="dpo")])


def old_downstream_of(store: GraphStore, origin: str, as_of: datetime) -> list[tuple[Any, ...]]:
    """What downstream_of answered before issue 13 §5: the walk over the whole lineage."""
    lineage = load_lineage(store, columns=False, edge_rows=True)
    index = IntervalIndex(lineage.edges)
    return [(h.dataset, h.hops, list(reversed(h.path)), list(reversed(hops_as_dicts(explain_path(h.path, 0, index, as_of)))))
            for h in sorted(walk_tables(lineage, [origin], as_of=as_of), key=lambda h: (h.hops, h.dataset))]


def trails(valid: list[tuple[str, str]], origin: str, longest: int = 10) -> dict[str, tuple[int, int]]:
    """dataset -> (shortest hops, trails of that length) over the relationships ``valid``
    (downstream, upstream), from ``origin`` upstream; every trail enumerated."""
    out: dict[str, tuple[int, int]] = {}
    by_down: dict[str, list[int]] = {}
    for k, (d, _u) in enumerate(valid):
        by_down.setdefault(d, []).append(k)

    def go(node: str, used: frozenset[int], depth: int) -> None:
        if depth == longest:
            return
        for k in by_down.get(node, ()):
            if k in used:
                continue
            up = valid[k][1]
            if up != origin:
                hops, count = out.get(up, (depth + 1, 0))
                if depth + 1 < hops:
                    out[up] = (depth + 1, 1)
                elif depth + 1 == hops:
                    out[up] = (hops, count + 1)
            go(up, used | {k}, depth + 1)

    go(origin, frozenset(), 0)
    return out


def check(store: GraphStore, seed: int, cypher: bool = False) -> None:
    rng = random.Random(seed)
    edges = list(store.iter_edges(None))
    for as_of in (T0 + timedelta(minutes=rng.randrange(0, 460)) for _ in range(3)):
        valid = [(e.downstream, e.upstream) for e in edges
                 if e.valid_from <= as_of and (e.valid_to is None or e.valid_to > as_of)]
        for origin in NAMES:
            params = {"dataset": origin, "as_of": as_of}
            got = [(r["dataset"], r["hops"], [n["id"] for n in r["path"]], r["edges"])
                   for r in downstream_of(store, params, lambda _t: [])]
            assert got == old_downstream_of(store, origin, as_of), (origin, as_of)
            rows = upstream_of(store, params, lambda _t: [])
            expected = trails(valid, origin)
            assert {r["dataset"]: (r["hops"], r["routes"]) for r in rows} == expected, (origin, as_of)
            assert [(r["hops"], r["dataset"]) for r in rows] == sorted((h, d) for d, (h, _n) in expected.items())
            for row in rows:
                ids = [n["id"] for n in row["path"]]
                assert ids[0] == origin and ids[-1] == row["dataset"] and len(ids) == row["hops"] + 1
                assert all((d, u) in valid for d, u in zip(ids, ids[1:], strict=False))
                node = row["path"][-1]  # a node dict as nodes(p) returns it: every property
                assert node["id"] == row["dataset"] and "first_seen" in node
                assert (row["kind"], row["steward"]) == (node["kind"], node["steward"])
            if cypher:  # Neo4j: the Cypher itself
                answer = store.run_trace(load_trace("upstream_of"), params)
                assert [(r["dataset"], r["hops"], r["kind"], r["steward"], r["routes"]) for r in rows] == \
                    [(r["dataset"], r["hops"], r["kind"], r["steward"], r["routes"]) for r in answer]


@pytest.mark.parametrize("seed", range(6))
def test_bounded_traces_answer_as_before_on_the_embedded_graph(tmp_path: Path, seed: int) -> None:
    store = open_graph_store("embedded", path=tmp_path / "g.lbug")
    try:
        fill(store, seed)
        check(store, seed)
    finally:
        store.close()


def test_bounded_traces_answer_as_before_on_neo4j(neo4j_graph: Any) -> None:
    store = open_graph_store("neo4j", **neo4j_graph.options)
    try:
        for seed in range(2):
            neo4j_graph.empty()
            store.migrate()
            fill(store, seed)
            check(store, seed, cypher=True)
    finally:
        store.close()
