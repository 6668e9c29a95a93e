"""Compose column edges through intermediate objects: ``c <- tmp <- s`` becomes ``c <- s``.

Shared by the two places that collapse intermediates: a multi-statement script read as
one unit (:mod:`.script`) and session temporary objects in a crawl (:mod:`.temp_tables`).
Pure: no I/O.

An intermediate object keeps a :data:`ColumnMap`: per column name, the upstream edges it
holds, keyed by ``(source column id, kind)``. When a statement reads column ``x`` of an
intermediate, each edge into ``x`` is replaced by the intermediate's upstream edges of
``x``, combined as along a path:

* transform: :func:`~lineage_engine.model.rank_along`, the lower rank except that an
  unmasking step undoes masking: masked anywhere stays masked unless unmasked after, an
  aggregate of a copy is an aggregate;
* kind: ``DIRECT`` only when both steps are DIRECT (a filter of a copy chooses rows);
* confidence: the lower one.

Alternatives for one key combine the other way (:func:`better`): the most revealing
transform and the highest confidence win. An intermediate made by an unexpanded
``SELECT *`` holds ``*``: its ``s.*`` edges stand for ``s.x``.

:func:`columns_for_graph` picks the edges a crawl stores (DIRECT only by default).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import replace

from lineage_engine.model import (
    TRANSFORMS,
    ColumnLineage,
    ColumnRef,
    DatasetRef,
    Operation,
    StatementLineage,
    column_id,
    quote_part,
    rank_along,
    transform_rank,
)

Edge = tuple[int, str, float]
"""One upstream edge of a column: (transform rank, kind, confidence)."""
ColumnMap = dict[str, dict[tuple[str, str], Edge]]
"""Column name -> ``(source column id, kind)`` -> :data:`Edge`."""
Lookup = Callable[[str], "Mapping[str, Mapping[tuple[str, str], Edge]] | None"]
"""Dataset id -> the intermediate's column map, or None when the dataset is not one."""


def compose_columns(target_id: str, edges: Iterable[ColumnLineage], lookup: Lookup) -> tuple[ColumnMap, set[str]]:
    """Group one statement's edges into ``target_id`` by column, sources through intermediates.

    Args:
        target_id: the written dataset; every edge's target is one of its columns.
        edges: the statement's column edges.
        lookup: dataset id -> the intermediate's column map (an empty map drops the
            edges from it: an intermediate whose lineage is unknown), or None for a
            dataset that is not intermediate (its edges are kept as they are).

    Returns:
        ``(column map of the target, ids of the intermediates read)``.
    """
    out: ColumnMap = {}
    used: set[str] = set()
    for edge in edges:
        into = out.setdefault(ColumnRef.parse(edge.target).name, {})
        rank = transform_rank(edge.transform)
        source_ref = ColumnRef.parse(edge.source)
        dataset, name = source_ref.dataset_id, source_ref.name
        upstream = lookup(dataset)
        if upstream is None:
            key = (edge.source, edge.kind)
            into[key] = better(into.get(key), (rank, edge.kind, edge.confidence))
            continue
        used.add(dataset)
        for (source, kind), (up_rank, _, confidence) in upstream_of(upstream, name).items():
            merged_kind = "DIRECT" if edge.kind == "DIRECT" and kind == "DIRECT" else "INDIRECT"
            key = (source, merged_kind)
            into[key] = better(into.get(key), (rank_along(rank, up_rank), merged_kind, min(confidence, edge.confidence)))
    return out, used


def upstream_of(columns: Mapping[str, Mapping[tuple[str, str], Edge]], name: str) -> Mapping[tuple[str, str], Edge]:
    """Return the upstream edges of column ``name`` of an intermediate (``*`` stands for any name)."""
    found = columns.get(name)
    if found is not None:
        return found
    star = columns.get("*")  # the object was made by an unexpanded SELECT *: t.* stands for t.name
    if star is None:
        return {}
    return {(_star_to(source, name), kind): edge for (source, kind), edge in star.items()}


def merge_columns(into: ColumnMap, new: Mapping[str, Mapping[tuple[str, str], Edge]]) -> None:
    """Add ``new`` to ``into`` in place (an INSERT into an intermediate adds to what it holds)."""
    for column, edges in new.items():
        target = into.setdefault(column, {})
        for key, edge in edges.items():
            target[key] = better(target.get(key), edge)


def better(old: Edge | None, new: Edge) -> Edge:
    """Combine two alternatives for one edge: most revealing transform, highest confidence."""
    if old is None:
        return new
    return (max(old[0], new[0]), new[1], max(old[2], new[2]))


def column_lineage(target_id: str, columns: Mapping[str, Mapping[tuple[str, str], Edge]]) -> Iterator[ColumnLineage]:
    """Yield the edges of a column map as :class:`ColumnLineage` into ``target_id``.

    An INDIRECT edge is left out when the same source also flows DIRECT into the column.
    Edges from other columns of ``target_id`` itself stay (``UPDATE t SET a = b``); the
    graph stores them too, minus a column to itself (:mod:`lineage_engine.graph.intervals`).
    Order: columns and sources as stored.
    """
    for column, edges in columns.items():
        direct = {source for (source, kind) in edges if kind == "DIRECT"}
        for (source, kind), (rank, _, confidence) in edges.items():
            if kind == "INDIRECT" and source in direct:
                continue
            yield ColumnLineage(source=source, target=column_id(target_id, column), transform=TRANSFORMS[rank], kind=kind,
                                confidence=confidence)


def columns_to_state(columns: ColumnMap) -> dict[str, list[list[object]]]:
    """Return a column map as JSON-able data: ``{column: [[source, kind, rank, confidence], ...]}``."""
    return {c: [[s, k, e[0], e[2]] for (s, k), e in edges.items()] for c, edges in columns.items()}


def columns_from_state(data: Mapping[str, Sequence[Sequence[object]]]) -> ColumnMap:
    """Rebuild a column map from :func:`columns_to_state` output.

    Raises:
        ValueError, TypeError, IndexError: the data is not of that shape.
    """
    return {
        str(c): {(str(s), str(k)): (int(r), str(k), float(conf)) for s, k, r, conf in edges}  # type: ignore[call-overload]
        for c, edges in data.items()
    }


def _star_to(source: str, name: str) -> str:
    return source[:-1] + quote_part(name) if source.endswith(".*") else source


def columns_for_graph(statements: Sequence[StatementLineage], *, indirect: bool) -> tuple[StatementLineage, ...]:
    """Return the statements with the column edges a crawl stores in the graph.

    * INDIRECT edges (filters, joins, group keys) are kept only when ``indirect`` is True:
      they are several times as many as DIRECT ones and exposure does not use them.
    * A source ``<unresolved>.x`` (an unqualified column over several relations, no schema
      known) becomes one candidate edge per dataset the statement reads, ``S.x`` (for
      UPDATE and MERGE also the target, whose columns are in scope): the column is one of
      them, and exposure must not lose it (over-reporting, never under).

    Statements without such edges are returned as they are (the same objects).
    """
    out: list[StatementLineage] = []
    for st in statements:
        if not st.columns or (indirect and not any(ColumnRef.parse(c.source).is_unresolved for c in st.columns)):
            out.append(st)
            continue
        kept: list[ColumnLineage] = []
        for edge in st.columns:
            if edge.kind != "DIRECT" and not indirect:
                continue
            source = ColumnRef.parse(edge.source)
            if source.is_unresolved:
                kept.extend(replace(edge, source=s.column(source.name).id) for s in _in_scope(st))
            else:
                kept.append(edge)
        out.append(replace(st, columns=tuple(kept)))
    return tuple(out)


def _in_scope(st: StatementLineage) -> list[DatasetRef]:
    """Return the datasets an unqualified column of ``st`` may belong to."""
    scope = list(st.sources)
    if st.operation in (Operation.UPDATE, Operation.MERGE) and st.target is not None \
            and all(s.id != st.target.id for s in scope):
        scope.append(st.target)
    return scope
