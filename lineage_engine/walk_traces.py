"""Saved traces answered by the exposure walk or a bounded read instead of their Cypher.

``downstream_of`` (the erasure trace) and ``unmasked_pii_columns`` ask "what holds this
data as of T". Portable Cypher can only ask "which paths have every edge valid at T", which
misses a copy made through an intermediate that was dropped, renamed or replaced after the
copy (the copy still holds the data). The scan answers with the time-respecting walk
(:mod:`lineage_engine.exposure.walk`, :mod:`lineage_engine.exposure.column_walk`); these
traces are answered by the very same walk, so a trace and the scan give the same datasets
for the same instant: one semantics, two renderings. Their ``cypher/*.cypher`` files stay as
the instant-only reading for people running them in a Cypher console.

Row shapes keep the traces' documented columns (see each file's ``returns:``), with paths
as lists of node dicts (``{"id": …}`` plus the dataset's ``kind`` and ``steward``).

Bounded by the answer (issue 13 §5): ``downstream_of`` reads the graph a frontier at a time
(:mod:`lineage_engine.graph.reach`: the intervals out of the datasets each round of the walk
expands), not the whole lineage; ``upstream_of`` keeps its Cypher meaning (paths whose every
edge is valid at ``$as_of``: shortest distance, number of shortest paths, one of them) but is
answered by a breadth-first read, one hop per round, instead of a variable-length match that
enumerates every path. The traces that list paths (``exposure_for_dataset``,
``unmasked_pii_paths``, ``column_upstream_of``) are answered by frontier reads too
(:mod:`lineage_engine.trail_traces`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from lineage_engine import trail_traces
from lineage_engine.exposure.column_walk import dataset_of
from lineage_engine.exposure.explain import IntervalIndex, explain_path, hops_as_dicts
from lineage_engine.exposure.walk import EdgeIndex, build_edge_index, walk_origin
from lineage_engine.graph.reach import dataset_nodes, intervals_out_of, upstreams_at
from lineage_engine.graph.store import GraphStore
from lineage_engine.model import EdgeRow, SavedTrace
from lineage_engine.scan import MaskingInputs, load_lineage, masked_ids, walk_columns

_NODES = SavedTrace(
    name="_dataset_properties",
    text="UNWIND $ids AS i MATCH (d:Dataset {id: i}) RETURN d.id AS id, d.kind AS kind, d.steward AS steward",
    description="Kind and steward of the given datasets (walk-answered traces).",
)

FactsLoader = Callable[[datetime], list[Any]]
"""Returns the registry assets that hold at an instant (:func:`lineage_engine.facts.registry_facts`)."""

MaskingLoader = Callable[[], MaskingInputs]
"""Returns the masking policies with time, as the scan reads them (``MaskingInputs(registry)``)."""


def answered_by_walk(name: str) -> bool:
    """Return True for the saved traces the walk answers (see the module docstring)."""
    return name in _ANSWERS


def run_walk_trace(store: GraphStore, trace: SavedTrace, params: Mapping[str, object],
                   facts: FactsLoader, masking: MaskingLoader | None = None) -> list[dict[str, object]]:
    """Answer a walk-answered trace; ``params`` as :func:`lineage_engine.traces.coerce_params` made them.

    ``masking`` gives the masking policies with time (policies from the query history, views
    enforcing their base column's policy, copies holding what their role saw, tag-based
    masking), exactly as the scan applies them; without it only the registry's masking of
    ``$as_of`` is used.

    Raises:
        KeyError: ``trace`` is not answered by the walk (check :func:`answered_by_walk`).
        GraphError, RegistryError: a store could not be read.
    """
    return _ANSWERS[trace.name](store, params, facts, masking)


def _nodes(store: GraphStore, ids: set[str]) -> dict[str, dict[str, object]]:
    rows = store.run_trace(_NODES, {"ids": sorted(ids)}) if ids else []
    return {str(r["id"]): {"id": r["id"], "kind": r["kind"], "steward": r["steward"]} for r in rows}


def downstream_of(store: GraphStore, params: Mapping[str, object], facts: FactsLoader,
                  masking: MaskingLoader | None = None) -> list[dict[str, object]]:
    """Every dataset holding data of ``$dataset`` as of ``$as_of`` (masked ones too: erasure).

    Masking is not applied on purpose: a masked copy still holds the person's data, which an
    erasure must reach (the scan, which asks "who can read it in clear", stops at masking).

    Rows: dataset, hops, kind, steward, path (node dicts, the given dataset first), edges
    (hops in path order, each with the statement that last derived it); by hops, dataset.
    """
    origin = str(params["dataset"]).strip().lower()
    as_of = params["as_of"]
    assert isinstance(as_of, datetime)
    index, read = reading_index(store, as_of)
    holdings = walk_origin(index, origin, load=read.load)
    nodes = _nodes(store, {i for h in holdings for i in h.path})
    index = IntervalIndex(read.rows)
    rows: list[dict[str, object]] = []
    for h in sorted(holdings, key=lambda h: (h.hops, h.dataset)):
        node = nodes.get(h.dataset, {})
        rows.append({"dataset": h.dataset, "hops": h.hops, "kind": node.get("kind"), "steward": node.get("steward"),
                     "path": [nodes.get(i, {"id": i}) for i in reversed(h.path)],
                     "edges": list(reversed(hops_as_dicts(explain_path(h.path, 0, index, as_of))))})
    return rows


class _Reader:
    """Fills an :class:`EdgeIndex` with the intervals out of each frontier, once per dataset."""

    def __init__(self, store: GraphStore, index: EdgeIndex) -> None:
        self.store, self.index = store, index
        self.rows: list[EdgeRow] = []
        self._read: set[str] = set()

    def load(self, frontier: list[str]) -> None:
        todo = [d for d in frontier if d not in self._read]
        if not todo:
            return
        self._read.update(todo)
        rows, views = intervals_out_of(self.store, todo)
        # Steps of an upstream depend only on its own intervals (the move rule looks at
        # intervals closed from the same upstream), so a partial index is exact for them.
        self.index.steps.update(build_edge_index(rows, as_of=self.index.as_of, live=views).steps)
        self.rows.extend(rows)


def reading_index(store: GraphStore, as_of: datetime) -> tuple[EdgeIndex, _Reader]:
    """Return an empty :class:`EdgeIndex` for ``as_of`` and the reader that fills it during a
    walk (pass ``reader.load`` as :func:`walk_origin`'s ``load``)."""
    index = EdgeIndex(as_of=as_of, steps={}, intervals=0)
    return index, _Reader(store, index)


def upstream_of(store: GraphStore, params: Mapping[str, object], facts: FactsLoader,
                masking: MaskingLoader | None = None) -> list[dict[str, object]]:
    """Everything ``$dataset`` derives from as of ``$as_of`` (``cypher/upstream_of.cypher``).

    The Cypher's meaning, read breadth first: every dataset within 10 hops upstream by
    intervals valid at ``$as_of``, its shortest distance (hops), how many shortest paths
    reach it (routes: a pair joined by two valid intervals counts twice, as two
    relationships do), and one shortest path (node dicts, the given dataset first): the
    one through the smallest ids, hop by hop from the far end.
    Rows: dataset, hops, kind, steward, routes, path; by hops, dataset.
    """
    origin = str(params["dataset"]).strip().lower()
    as_of = params["as_of"]
    assert isinstance(as_of, datetime)
    hops: dict[str, int] = {origin: 0}
    routes: dict[str, int] = {origin: 1}
    via: dict[str, str] = {}  # dataset -> the smallest id one hop nearer the origin on a shortest path
    frontier = [origin]
    for hop in range(1, _UPSTREAM_HOPS + 1):
        reached: list[str] = []
        for down, up, count in upstreams_at(store, frontier, as_of):
            if hops.setdefault(up, hop) != hop:
                continue  # reached by a shorter route
            if up not in routes:
                reached.append(up)
                routes[up] = 0
            routes[up] += routes[down] * count
            if up not in via or down < via[up]:
                via[up] = down
        if not reached:
            break
        frontier = reached
    found = sorted((d for d in hops if d != origin), key=lambda d: (hops[d], d))
    paths = {d: _path_to(d, via) for d in found}
    nodes = dataset_nodes(store, {i for p in paths.values() for i in p} | {origin})
    return [{"dataset": d, "hops": hops[d], "kind": nodes.get(d, {}).get("kind"),
             "steward": nodes.get(d, {}).get("steward"), "routes": routes[d],
             "path": [nodes.get(i, {"id": i}) for i in paths[d]]} for d in found]


_UPSTREAM_HOPS = 10
"""The bound of ``upstream_of.cypher``'s ``*1..10``."""


def _path_to(dataset: str, via: Mapping[str, str]) -> list[str]:
    """Ids from the origin to ``dataset`` along ``via`` (origin first)."""
    path = [dataset]
    while path[-1] in via:
        path.append(via[path[-1]])
    return path[::-1]


def unmasked_pii_columns(store: GraphStore, params: Mapping[str, object], facts: FactsLoader,
                         masking: MaskingLoader | None = None) -> list[dict[str, object]]:
    """What holds each origin column's value unmasked as of ``$as_of`` (the scan's column walk).

    Masking as the scan applies it at ``$as_of`` (with ``masking``): a copy out of a masked
    column holds what its role saw, a view over a masked column shows it masked, a column
    masked at ``$as_of`` (its own policy, its table's, a tag's) is left out, even when it held
    the value in clear before (the scan's resolved window). Rows: origin, terminal (a column,
    or a dataset where column lineage was unknown on a hop), dataset, level, hops, path
    (node dicts, terminal first, origin last), edges (in path order); by origin, hops, terminal.
    """
    raw = params["origins"]
    origins = sorted({str(o).strip().lower() for o in (raw if isinstance(raw, list) else [raw]) if str(o).strip()})
    as_of = params["as_of"]
    assert isinstance(as_of, datetime)
    masked, masked_columns = masked_ids(facts(as_of))
    lineage = load_lineage(store, columns=True)
    timed = masking() if masking is not None else None
    holdings = walk_columns(lineage, origins, as_of=as_of, masked_datasets=masked, masked_columns=masked_columns,
                            masking=timed)
    if timed is not None:  # masked at $as_of: no open exposure (the scan's rule 7)
        holdings = [h for h in holdings if h.level != "column" or not timed.view.is_masked(h.terminal, as_of)]
    index = IntervalIndex(lineage.edges, lineage.column_edges)
    rows: list[dict[str, object]] = []
    for h in sorted(holdings, key=lambda h: (h.origin, h.hops, h.terminal)):
        dataset = dataset_of(h.terminal) if h.level == "column" else h.terminal
        rows.append({"origin": h.origin, "terminal": h.terminal, "dataset": dataset, "level": h.level,
                     "hops": h.hops, "path": [{"id": i} for i in h.path],
                     "edges": hops_as_dicts(explain_path(h.path, h.columns, index, as_of))})
    return rows


_ANSWERS: dict[str, Callable[[GraphStore, Mapping[str, object], FactsLoader, MaskingLoader | None],
                              list[dict[str, object]]]] = {
    "downstream_of": downstream_of,
    "upstream_of": upstream_of,
    "unmasked_pii_columns": unmasked_pii_columns,
    # listing paths: frontier reads with the Cypher's trail meaning (lineage_engine/trail_traces.py)
    "exposure_for_dataset": trail_traces.exposure_for_dataset,
    "unmasked_pii_paths": trail_traces.unmasked_pii_paths,
    "column_upstream_of": trail_traces.column_upstream_of,
}
