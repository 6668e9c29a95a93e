"""Hop-by-hop lineage reads for pictures: only the edges touching the given ids, as of an instant.

The pictures (:mod:`lineage_engine.render.neighbourhood`) ask for one hop at a time from the
nodes they draw, so a read costs what is drawn, never the whole graph. One portable Cypher
statement per hop and direction (``UNWIND $ids`` + an id lookup: an index seek on both
backends), with the as-of filter bound first (design §4: ``WITH $as_of AS as_of``).

"As of T" here is the lineage valid at that instant (the edges open at T), as in
``export edges --as-of`` and the Cypher traces; "what holds the data at T" (copies through
intermediates dropped since) is the exposure walk's question (``scan --as-of``, the evidence
pack's exposure paths).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from lineage_engine.graph.store import GraphStore
from lineage_engine.model import EdgeRow, SavedTrace

_FIELDS = ("d.id AS downstream, u.id AS upstream, e.valid_from AS valid_from, e.valid_to AS valid_to, "
           "e.first_seen AS first_seen, e.last_seen AS last_seen, e.observations AS observations, "
           "e.last_query_id AS last_query_id, e.query_type AS query_type, e.via AS via, e.provenance AS provenance")
_VALID = "e.valid_from <= as_of AND (e.valid_to IS NULL OR e.valid_to > as_of)"


def _statement(level: str, direction: str) -> SavedTrace:
    label = "Dataset" if level == "dataset" else "`Column`"
    down_node = f"(d:{label})" if direction == "down" else f"(d:{label} {{id: i}})"
    up_node = f"(u:{label} {{id: i}})" if direction == "down" else f"(u:{label})"
    extra = ", e.transform AS transform, e.kind AS kind" if level == "column" else ""
    where = _VALID + (" AND e.kind = 'DIRECT'" if level == "column" else "")
    text = (f"WITH $as_of AS as_of UNWIND $ids AS i MATCH {down_node}-[e:DERIVES_FROM]->{up_node} "
            f"WHERE {where} RETURN {_FIELDS}{extra} ORDER BY downstream, upstream")
    return SavedTrace(name=f"_picture_{level}_{direction}", text=text,
                      description=f"One hop {direction}stream of the given {level} ids, as of an instant (pictures).")


_STATEMENTS = {(level, direction): _statement(level, direction)
               for level in ("dataset", "column") for direction in ("up", "down")}


def edge_reader(store: GraphStore, *, as_of: datetime, level: str = "dataset") -> Any:
    """Return a reader ``(ids, direction) -> list[EdgeRow]`` of the edges valid at ``as_of``.

    ``direction`` ``down``: edges whose upstream is one of ``ids``; ``up``: whose downstream is.
    Column level reads ``DIRECT`` column edges (the ones that carry values).

    Raises:
        ValueError: ``as_of`` is naive or ``level`` unknown.
        GraphError: the graph could not be read.
    """
    if as_of.tzinfo is None:
        raise ValueError("edge_reader needs an aware UTC 'as_of'")
    if level not in ("dataset", "column"):
        raise ValueError(f"unknown level '{level}'")

    def read(ids: Collection[str], direction: str) -> list[EdgeRow]:
        if not ids:
            return []
        rows = store.run_trace(_STATEMENTS[(level, direction)], {"ids": sorted(ids), "as_of": as_of})
        return [_edge(r) for r in rows]

    return read


def _edge(row: dict[str, Any]) -> EdgeRow:
    return EdgeRow(downstream=str(row["downstream"]), upstream=str(row["upstream"]), valid_from=row["valid_from"],
                   valid_to=row["valid_to"], first_seen=row["first_seen"], last_seen=row["last_seen"],
                   observations=int(row["observations"] or 0), last_query_id=str(row["last_query_id"] or ""),
                   query_type=str(row["query_type"] or ""), via=tuple(row["via"] or ()),
                   provenance=str(row["provenance"] or "parsed"), transform=str(row.get("transform") or ""),
                   kind=str(row.get("kind") or ""))
