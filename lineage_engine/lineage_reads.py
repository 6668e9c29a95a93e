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


_KIND_OF = SavedTrace(
    name="_picture_kind_of",
    text="MATCH (d:Dataset) WHERE d.id IN $ids RETURN d.id AS id, 'dataset' AS kind "
         "UNION ALL MATCH (c:`Column`) WHERE c.id IN $ids RETURN c.id AS id, 'column' AS kind",
    description="Whether each given id is a dataset or a column node.",
)


def id_kinds(store: GraphStore, ids: Collection[str]) -> dict[str, str]:
    """Return ``{id: "dataset" | "column"}`` for the given ids that are nodes (others left out).

    Raises:
        GraphError: the graph could not be read.
    """
    if not ids:
        return {}
    return {str(r["id"]): str(r["kind"]) for r in store.run_trace(_KIND_OF, {"ids": sorted(set(ids))})}


def level_of(store: GraphStore, node_id: str, *, input: str = "id") -> tuple[str, str]:  # noqa: A002
    """Return ``(id lower-cased, "dataset" | "column")`` for a node id the graph holds.

    Raises:
        UnknownIdError: no such node; suggestions of the kind its shape suggests (three
            parts: datasets; more: columns).
        GraphError: the graph could not be read.
    """
    from lineage_engine.graph.known_ids import require_known_ids

    value = node_id.strip().lower()
    kind = id_kinds(store, [value]).get(value)
    if kind is not None:
        return value, kind
    guess = "dataset" if value.count(".") <= 2 else "column"
    require_known_ids(store, [value], kind=guess, input=input)  # raises with the closest ids
    return value, guess  # pragma: no cover - require_known_ids raised


def _pair_statement(level: str) -> SavedTrace:
    label = "Dataset" if level == "dataset" else "`Column`"
    extra = ", e.transform AS transform, e.kind AS kind" if level == "column" else ""
    return SavedTrace(name=f"_picture_pairs_{level}",
                      text=f"UNWIND $rows AS r MATCH (d:{label} {{id: r.d}})-[e:DERIVES_FROM]->(u:{label} {{id: r.u}}) "
                           f"RETURN {_FIELDS}{extra}",
                      description=f"Every interval of the given {level} edges (downstream d, upstream u).")


_PAIRS = {level: _pair_statement(level) for level in ("dataset", "column")}


def explain_flow_path(store: GraphStore, path: list[str], as_of: datetime) -> list[dict[str, Any]]:
    """Return the hops of a path given origin first (as findings list it), origin first.

    Each hop as :meth:`lineage_engine.exposure.explain.Hop.as_dict` (transform, kind, query id
    and type, validity) of the interval that carried it at ``as_of``; only the intervals of
    the path's own pairs are read. Column ids at the origin end are read at column level.

    Raises:
        GraphError: the graph could not be read.
    """
    from lineage_engine.exposure.explain import IntervalIndex, explain_path, hops_as_dicts
    from lineage_engine.model import dataset_of

    if len(path) < 2:
        return []
    kinds = id_kinds(store, path)
    walked = list(reversed(path))  # terminal first, as the walks give paths
    columns = 0
    for node in path:  # origin first: count the column ids at the origin end
        if kinds.get(node) != "column":
            break
        columns += 1
    table_rows, column_rows = [], []
    for down, up in zip(walked, walked[1:]):
        if kinds.get(down) == "column" and kinds.get(up) == "column":
            column_rows.append({"d": down, "u": up})
            column_rows.append({"d": dataset_of(down) + ".*", "u": up})
            column_rows.append({"d": down, "u": dataset_of(up) + ".*"})
        table_rows.append({"d": dataset_of(down) if kinds.get(down) == "column" else down,
                           "u": dataset_of(up) if kinds.get(up) == "column" else up})
    tables = [_edge(r) for r in store.run_trace(_PAIRS["dataset"], {"rows": table_rows})]
    cols = [_edge(r) for r in store.run_trace(_PAIRS["column"], {"rows": column_rows})] if column_rows else []
    hops = explain_path(walked, columns, IntervalIndex(tables, cols), as_of)
    return list(reversed(hops_as_dicts(hops)))
