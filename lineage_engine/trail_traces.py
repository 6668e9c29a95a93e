"""Saved traces that list paths, answered by frontier reads instead of their Cypher (issue 13 §5).

``exposure_for_dataset``, ``unmasked_pii_paths`` and ``column_upstream_of`` are written as
variable-length matches (``cypher/*.cypher``, which stay their portable definition). An engine
answers such a match by enumerating every path of the pattern, whatever the predicates later
keep, so its memory and time follow the graph around the start, not the answer; and LadybugDB
0.22 answers them wrongly on cyclic graphs (issue 13 note). Here the graph is read one hop per
round for the nodes the previous round reached (:mod:`lineage_engine.graph.reach`: ``WHERE
x.id IN $ids``), and the rows are built in Python with the Cypher's meaning:

- a path is a *trail* (no relationship twice; nodes may repeat), as Neo4j matches a
  variable-length pattern and as the embedded engine is told (``TRAIL``,
  :mod:`lineage_engine.graph.var_length`); every relationship valid at ``$as_of``
  (``valid_from <= as_of < valid_to``) counts on its own, so two valid intervals between one
  pair are two paths, as two relationships are;
- ``exposure_for_dataset`` and ``unmasked_pii_paths`` return one row per trail; a trail prefix
  is extended only while a row can still end within the hop bound (a node farther from every
  row's end than the hops left is not walked), so what is enumerated is the answer's trails
  and their prefixes;
- ``column_upstream_of`` keeps only shortest paths, so it is answered breadth first like
  ``upstream_of`` (:mod:`lineage_engine.walk_traces`), with counts per hop.

Rows have each file's documented columns (``returns:``); among rows the Cypher leaves in no
defined order (several paths of one length to one end) the order here is by path ids. Nodes
and relationships are their property dicts, as ``nodes(p)`` / ``relationships(p)`` return them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from typing import Any

from lineage_engine.graph.reach import column_nodes, column_upstreams_at, dataset_nodes, downstreams_at, upstreams_at
from lineage_engine.graph.store import GraphStore

Pairs = Callable[[list[str]], list[tuple[str, str, int]]]
"""Reads one hop for a frontier: ``(downstream, upstream, relationships)`` per pair."""


def exposure_for_dataset(store: GraphStore, params: Mapping[str, object], facts: Any = None,
                         masking: Any = None) -> list[dict[str, object]]:
    """Classified upstreams of ``$dataset`` as of ``$as_of`` (``cypher/exposure_for_dataset.cypher``).

    One row per trail of 1 to 5 valid intervals from the dataset upstream to a dataset with a
    classification (not the dataset itself): upstream, classification, tags, masking_policy,
    steward, hops, path (node dicts, the dataset first); by hops, upstream.

    Raises:
        GraphError: the graph could not be read.
    """
    start = str(params["dataset"]).strip().lower()
    as_of = _instant(params)
    if not dataset_nodes(store, [start]):
        return []
    adjacency = _read_around(start, 5, lambda ids: upstreams_at(store, ids, as_of, loops=True), upstream=True)
    nodes = dataset_nodes(store, _reached(adjacency, start))
    ends = {i for i, n in nodes.items() if i != start and n.get("classification") is not None}
    rows: list[dict[str, object]] = []
    for trail in _trails(adjacency, start, 5, ends):
        node = nodes[trail[-1]]
        rows.append({"upstream": trail[-1], "classification": node.get("classification"), "tags": node.get("tags"),
                     "masking_policy": node.get("masking_policy"), "steward": node.get("steward"),
                     "hops": len(trail) - 1, "path": [nodes[i] for i in trail], "_ids": trail})
    return _ordered(rows, ("hops", "upstream"))


def unmasked_pii_paths(store: GraphStore, params: Mapping[str, object], facts: Any = None,
                       masking: Any = None) -> list[dict[str, object]]:
    """Every trail from ``$origins`` to an unmasked dataset as of ``$as_of``
    (``cypher/unmasked_pii_paths.cypher``).

    One row per trail of 1 to 10 valid intervals from an origin downstream to a dataset whose
    masking policy is unset or ``NONE`` (not the origin itself): origin, terminal, hops, path
    (node dicts, terminal first, origin last); by origin, hops, terminal.

    Raises:
        GraphError: the graph could not be read.
    """
    raw = params["origins"]
    wanted = {str(o).lower() for o in (raw if isinstance(raw, (list, tuple)) else [raw])}
    as_of = _instant(params)
    rows: list[dict[str, object]] = []
    for origin in sorted(dataset_nodes(store, wanted)):
        adjacency = _read_around(origin, 10, lambda ids: downstreams_at(store, ids, as_of, loops=True), upstream=False)
        nodes = dataset_nodes(store, _reached(adjacency, origin))
        ends = {i for i, n in nodes.items() if i != origin and (n.get("masking_policy") or "NONE") == "NONE"}
        for trail in _trails(adjacency, origin, 10, ends):
            ids = trail[::-1]
            rows.append({"origin": origin, "terminal": ids[0], "hops": len(ids) - 1,
                         "path": [nodes[i] for i in ids], "_ids": ids})
    return _ordered(rows, ("origin", "hops", "terminal"))


def column_upstream_of(store: GraphStore, params: Mapping[str, object], facts: Any = None,
                       masking: Any = None) -> list[dict[str, object]]:
    """Everything ``$column_id`` derives from as of ``$as_of`` (``cypher/column_upstream_of.cypher``).

    Breadth first over column intervals valid at ``$as_of``, at most 10 hops: each upstream
    column's shortest distance (hops), how many shortest paths reach it (routes, each valid
    relationship on its own), whether every one of them has a ``masked`` edge (masked), and one
    shortest path with its edges: an unmasked one when there is one, else any; through the
    smallest ids, hop by hop from the far end. Rows: upstream, dataset, hops, routes, masked,
    path (column node dicts, the given column first), edges (relationship dicts, in path
    order); by hops, upstream.

    Raises:
        GraphError: the graph could not be read.
    """
    start = str(params["column_id"]).strip().lower()
    as_of = _instant(params)
    if not column_nodes(store, [start]):
        return []
    hops: dict[str, int] = {start: 0}
    routes: dict[str, int] = {start: 1}
    unmasked: dict[str, int] = {start: 1}  # shortest routes with no 'masked' edge
    via: dict[str, tuple[str, dict[str, object]]] = {}  # any shortest route's last hop
    open_via: dict[str, tuple[str, dict[str, object]]] = {}  # an unmasked shortest route's last hop
    frontier = [start]
    for hop in range(1, 11):
        reached: list[str] = []
        for down, up, edge in sorted(column_upstreams_at(store, frontier, as_of), key=_edge_order):
            if up == start or hops.setdefault(up, hop) != hop:
                continue  # the column itself, or reached by a shorter route
            if up not in routes:
                reached.append(up)
                routes[up] = unmasked[up] = 0
            routes[up] += routes[down]
            via.setdefault(up, (down, edge))
            if edge.get("transform") != "masked" and unmasked[down]:
                unmasked[up] += unmasked[down]
                open_via.setdefault(up, (down, edge))
        if not reached:
            break
        frontier = reached
    found = sorted((c for c in hops if c != start), key=lambda c: (hops[c], c))
    chains = {c: _chain(c, via, open_via) for c in found}
    nodes = column_nodes(store, {i for ids, _edges in chains.values() for i in ids} | {start})
    rows: list[dict[str, object]] = []
    for c in found:
        ids, edges = chains[c]
        rows.append({"upstream": c, "dataset": nodes.get(c, {}).get("dataset_id"), "hops": hops[c],
                     "routes": routes[c], "masked": unmasked[c] == 0,
                     "path": [nodes.get(i, {"id": i}) for i in ids], "edges": edges})
    return rows


def _instant(params: Mapping[str, object]) -> datetime:
    as_of = params["as_of"]
    if not isinstance(as_of, datetime):
        raise TypeError(f"$as_of must be a datetime, got {type(as_of).__name__}")
    return as_of


def _edge_order(row: tuple[str, str, dict[str, object]]) -> tuple[str, str, bool, str]:
    """Smallest ids first; between parallel edges an unmasked one first."""
    down, up, edge = row
    return down, up, edge.get("transform") == "masked", str(edge.get("valid_from"))


def _chain(column: str, via: Mapping[str, tuple[str, dict[str, object]]],
           open_via: Mapping[str, tuple[str, dict[str, object]]]) -> tuple[list[str], list[dict[str, object]]]:
    """The ids (the start first) and edges of the shortest route to ``column``: an unmasked one
    when there is one (every hop of it from ``open_via``), else any."""
    steps = open_via if column in open_via else via
    ids, edges = [column], []
    while ids[-1] in steps:
        down, edge = steps[ids[-1]]
        ids.append(down)
        edges.append(edge)
    return ids[::-1], edges[::-1]


def _read_around(start: str, limit: int, read: Pairs, *, upstream: bool) -> dict[str, list[tuple[str, int]]]:
    """Read every relationship a trail of at most ``limit`` hops from ``start`` can use, one hop
    per round: node -> [(next node, relationships)] in the walk's direction."""
    adjacency: dict[str, list[tuple[str, int]]] = {}
    seen = {start}
    frontier = [start]
    for _hop in range(limit):
        if not frontier:
            break
        reached: list[str] = []
        for down, up, count in read(frontier):
            here, there = (down, up) if upstream else (up, down)
            adjacency.setdefault(here, []).append((there, count))
            if there not in seen:
                seen.add(there)
                reached.append(there)
        frontier = reached
    for steps in adjacency.values():
        steps.sort()
    return adjacency


def _reached(adjacency: Mapping[str, list[tuple[str, int]]], start: str) -> set[str]:
    return {start} | set(adjacency) | {n for steps in adjacency.values() for n, _c in steps}


def _distances(adjacency: Mapping[str, list[tuple[str, int]]], ends: set[str]) -> dict[str, int]:
    """Fewest hops from each node to one of ``ends`` (0 for an end), over ``adjacency``."""
    back: dict[str, list[str]] = {}
    for here, steps in adjacency.items():
        for there, _count in steps:
            back.setdefault(there, []).append(here)
    dist = dict.fromkeys(ends, 0)
    frontier = list(ends)
    while frontier:
        reached = []
        for node in frontier:
            for prev in back.get(node, ()):
                if prev not in dist:
                    dist[prev] = dist[node] + 1
                    reached.append(prev)
        frontier = reached
    return dist


def _trails(adjacency: Mapping[str, list[tuple[str, int]]], start: str, limit: int,
            ends: set[str]) -> Iterator[list[str]]:
    """Yield the node ids of every trail of 1 to ``limit`` hops from ``start`` that ends in
    ``ends``, once per choice of relationships; prefixes that cannot reach an end within the
    hops left are not walked."""
    dist = _distances(adjacency, ends)
    path = [start]
    used: set[tuple[str, str, int]] = set()

    def extend() -> Iterator[list[str]]:
        here, left = path[-1], limit - len(path)  # hops left after the next one
        for there, count in adjacency.get(here, ()):
            if dist.get(there, limit + 1) > left:
                continue
            for k in range(count):
                rel = (here, there, k)
                if rel in used:
                    continue
                used.add(rel)
                path.append(there)
                if there in ends:
                    yield list(path)
                if left:
                    yield from extend()
                path.pop()
                used.discard(rel)

    yield from extend()


def _ordered(rows: list[dict[str, object]], keys: tuple[str, ...]) -> list[dict[str, object]]:
    """Rows by ``keys``, then by path ids; the helper key ``_ids`` dropped."""
    rows.sort(key=lambda r: (*(r[k] for k in keys), r["_ids"]))
    for row in rows:
        del row["_ids"]
    return rows
