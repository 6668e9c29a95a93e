"""Collapse one multi-statement script into its combined lineage (batch extraction).

A script is read as a unit, the way corpora describe it: an object created (or written)
by one statement and read by a later one is intermediate and drops out; its upstreams,
table and column, stand in for it (``c <- a <- b`` becomes ``c <- b``, the column
transforms composed: masked anywhere stays masked). This is the session resolution of
:mod:`.temp_tables` applied to every object of the script, not only temporary ones.

Rules, in statement order:

* a read of an object written earlier in the script is replaced by that object's
  upstreams at that point, and marks the object intermediate;
* CREATE / REPLACE / VIEW / CLONE reset the object's upstreams; INSERT / MERGE / UPDATE /
  DELETE / COPY add to them;
* DROP of a script object forgets it (created and dropped: no lineage); DROP of an object
  the script did not write gives nothing (sqllineage's reading);
* RENAME of a script object moves it to the new name; RENAME of any other object gives
  nothing; SWAP gives each side the other's content;
* targets are the written objects that are neither intermediate nor dropped; sources are
  every dataset read from outside the script, in first-seen order.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from lineage_engine.model import ColumnLineage, DatasetRef, Operation, StatementLineage
from lineage_engine.parsing.transforms import TRANSFORM_NAMES

_RESETS = frozenset({Operation.CREATE, Operation.REPLACE, Operation.VIEW, Operation.CLONE})
_RANK = {name: rank for rank, name in enumerate(TRANSFORM_NAMES)}
_Edge = tuple[int, str, float]  # (transform rank, kind, confidence)


@dataclass(frozen=True, slots=True)
class ScriptLineage:
    """The combined lineage of a script.

    Attributes:
        targets: datasets the script leaves written, in first-written order.
        sources: datasets read from outside the script, in first-read order.
        columns: column edges into the targets, from outside columns, sorted by
            (target, source, kind).
    """

    targets: tuple[DatasetRef, ...]
    sources: tuple[DatasetRef, ...]
    columns: tuple[ColumnLineage, ...]


@dataclass(slots=True)
class _Local:
    upstreams: dict[str, DatasetRef] = field(default_factory=dict)
    columns: dict[str, dict[tuple[str, str], _Edge]] = field(default_factory=dict)  # col -> (src, kind) -> edge
    ref: DatasetRef | None = None


def collapse_script(statements: Iterable[StatementLineage]) -> ScriptLineage:
    """Return the combined lineage of a script's statements (see the module docstring).

    Args:
        statements: ``ExtractionResult.statements`` in text order (QUERY statements
            included when the script's reads matter).

    Returns:
        A :class:`ScriptLineage`; pure and deterministic.
    """
    local: dict[str, _Local] = {}
    intermediate: set[str] = set()
    sources: dict[str, DatasetRef] = {}
    for st in statements:
        reads = _resolve_reads(st.sources, local, intermediate, sources)
        target = st.target
        if target is None:
            continue
        if st.operation is Operation.DROP:
            local.pop(target.id, None)
            continue
        if st.operation is Operation.RENAME:
            moved = local.pop(target.id, None)
            if moved is not None and st.counterpart is not None:
                moved.ref = st.counterpart
                local[st.counterpart.id] = moved
            continue
        if st.operation is Operation.SWAP and st.counterpart is not None:
            _swap(target, st.counterpart, local, sources)
            continue
        columns = _resolve_columns(target.id, st.columns, local, intermediate)
        entry = local.get(target.id)
        if entry is None or st.operation in _RESETS:
            entry = local[target.id] = _Local(ref=target)
        for ref in reads:
            if ref.id != target.id:
                entry.upstreams.setdefault(ref.id, ref)
        for column, edges in columns.items():
            into = entry.columns.setdefault(column, {})
            for key, edge in edges.items():
                into[key] = _better(into.get(key), edge)
    targets = [entry for dataset_id, entry in local.items() if dataset_id not in intermediate]
    return ScriptLineage(
        targets=tuple(entry.ref for entry in targets if entry.ref is not None),
        sources=tuple(sources.values()),
        columns=tuple(sorted(_edges(targets), key=lambda e: (e.target, e.source, e.kind))),
    )


def _resolve_reads(
    refs: Iterable[DatasetRef], local: dict[str, _Local], intermediate: set[str], sources: dict[str, DatasetRef]
) -> list[DatasetRef]:
    resolved: list[DatasetRef] = []
    for ref in refs:
        entry = local.get(ref.id)
        if entry is None:
            sources.setdefault(ref.id, ref)
            resolved.append(ref)
        else:
            intermediate.add(ref.id)
            resolved.extend(entry.upstreams.values())
    return resolved


def _resolve_columns(
    target_id: str, edges: Iterable[ColumnLineage], local: dict[str, _Local], intermediate: set[str]
) -> dict[str, dict[tuple[str, str], _Edge]]:
    """Group a statement's edges by target column, sources through script objects."""
    out: dict[str, dict[tuple[str, str], _Edge]] = {}
    for edge in edges:
        column = edge.target[len(target_id) + 1 :]
        into = out.setdefault(column, {})
        rank = _RANK.get(edge.transform, 2)
        dataset, _, name = edge.source.rpartition(".")
        entry = local.get(dataset)
        if entry is None:
            key = (edge.source, edge.kind)
            into[key] = _better(into.get(key), (rank, edge.kind, edge.confidence))
            continue
        intermediate.add(dataset)
        for (source, kind), (up_rank, _, confidence) in _upstream_of(entry, name).items():
            merged_kind = "DIRECT" if edge.kind == "DIRECT" and kind == "DIRECT" else "INDIRECT"
            key = (source, merged_kind)
            into[key] = _better(into.get(key), (min(rank, up_rank), merged_kind, min(confidence, edge.confidence)))
    return out


def _upstream_of(entry: _Local, name: str) -> dict[tuple[str, str], _Edge]:
    found = entry.columns.get(name)
    if found is not None:
        return found
    star = entry.columns.get("*")  # the object was made by an unexpanded SELECT *: t.* stands for t.name
    if star is None:
        return {}
    return {(_star_to(source, name), kind): edge for (source, kind), edge in star.items()}


def _swap(a: DatasetRef, b: DatasetRef, local: dict[str, _Local], sources: dict[str, DatasetRef]) -> None:
    first, second = local.pop(a.id, None), local.pop(b.id, None)
    for ref, content, other in ((a, second, b), (b, first, a)):
        entry = content if content is not None else _Local(upstreams={other.id: other})
        if content is None:
            sources.setdefault(other.id, other)
        entry.ref = ref
        local[ref.id] = entry


def _better(old: _Edge | None, new: _Edge) -> _Edge:
    if old is None:
        return new
    return (max(old[0], new[0]), new[1], max(old[2], new[2]))


def _star_to(source: str, name: str) -> str:
    return source[:-1] + name if source.endswith(".*") else source


def _edges(targets: Iterable[_Local]) -> Iterable[ColumnLineage]:
    for entry in targets:
        if entry.ref is None:
            continue
        for column, edges in entry.columns.items():
            direct = {source for (source, kind) in edges if kind == "DIRECT"}
            for (source, kind), (rank, _, confidence) in edges.items():
                if kind == "INDIRECT" and source in direct:
                    continue
                if source.rpartition(".")[0] == entry.ref.id:
                    continue
                yield ColumnLineage(
                    source=source, target=f"{entry.ref.id}.{column}", transform=TRANSFORM_NAMES[rank], kind=kind,
                    confidence=confidence,
                )
