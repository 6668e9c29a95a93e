"""Saved traces answered by the exposure walk instead of their Cypher (issue 10 §5).

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
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from lineage_engine.exposure.column_walk import dataset_of
from lineage_engine.exposure.explain import IntervalIndex, explain_path, hops_as_dicts
from lineage_engine.graph.store import GraphStore
from lineage_engine.model import SavedTrace
from lineage_engine.scan import MaskingInputs, load_lineage, masked_ids, walk_columns, walk_tables

_NODES = SavedTrace(
    name="_dataset_properties",
    text="MATCH (d:Dataset) WHERE d.id IN $ids RETURN d.id AS id, d.kind AS kind, d.steward AS steward ORDER BY id",
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
    lineage = load_lineage(store, columns=False, edge_rows=True)
    holdings = walk_tables(lineage, [origin], as_of=as_of)
    nodes = _nodes(store, {i for h in holdings for i in h.path})
    index = IntervalIndex(lineage.edges)
    rows: list[dict[str, object]] = []
    for h in sorted(holdings, key=lambda h: (h.hops, h.dataset)):
        node = nodes.get(h.dataset, {})
        rows.append({"dataset": h.dataset, "hops": h.hops, "kind": node.get("kind"), "steward": node.get("steward"),
                     "path": [nodes.get(i, {"id": i}) for i in reversed(h.path)],
                     "edges": list(reversed(hops_as_dicts(explain_path(h.path, 0, index, as_of))))})
    return rows


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
    "unmasked_pii_columns": unmasked_pii_columns,
}
