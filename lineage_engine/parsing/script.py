"""Collapse one multi-statement script into its combined lineage (batch extraction).

A script is read as a unit, the way corpora describe it: an object created (or written)
by one statement and read by a later one is intermediate and drops out; its upstreams,
table and column, stand in for it (``c <- a <- b`` becomes ``c <- b``, the column
transforms composed: masked anywhere stays masked). This is the session resolution of
:mod:`.temp_tables` applied to every object of the script, not only temporary ones.

Rules, in statement order:

* a read of an object written earlier in the script is replaced by that object's
  upstreams at that point, and marks the object intermediate, unless the reading
  statement writes that object itself (``INSERT INTO t SELECT ... FROM t``: t keeps its
  upstreams and stays a target);
* CREATE / REPLACE / VIEW / CLONE reset the object's upstreams; INSERT / MERGE / UPDATE /
  DELETE / COPY add to them;
* ALTER (other than RENAME / SWAP) gives nothing: no data moves;
* DROP of a script object forgets it (created and dropped: no lineage); DROP of an object
  the script did not write gives nothing (sqllineage's reading);
* TRUNCATE (or DELETE with no WHERE) of a script object empties its upstreams; of any
  other object it gives nothing (no data moved);
* RENAME of a script object moves it to the new name; RENAME of any other object gives
  nothing; SWAP gives each side the other's content;
* targets are the written objects that are neither intermediate nor dropped; sources are
  every dataset read from outside the script, in first-seen order;
* a plain SELECT's output columns (``<select>.c``, column mode with ``queries``) are
  composed through the script's objects like any read and kept, all SELECTs of the script
  in the one pseudo-dataset ``<select>``; ``<select>`` is never a target.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from lineage_engine.model import SELECT_DATASET, ColumnLineage, DatasetRef, Operation, StatementLineage
from lineage_engine.parsing.column_compose import ColumnMap, column_lineage, compose_columns, merge_columns

_RESETS = frozenset({Operation.CREATE, Operation.REPLACE, Operation.VIEW, Operation.CLONE})


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
    columns: ColumnMap = field(default_factory=dict)
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
    selected: ColumnMap = {}
    for st in statements:
        target = st.target
        reads = _resolve_reads(st.sources, local, intermediate, sources, target.id if target is not None else None)
        if target is None:
            if st.operation is Operation.QUERY and st.columns:
                merge_columns(selected, compose_columns(
                    SELECT_DATASET, st.columns, lambda i: local[i].columns if i in local else None)[0])
            continue
        if st.operation is Operation.DROP:
            local.pop(target.id, None)
            continue
        if st.operation is Operation.ALTER:
            continue  # an operation, not lineage
        if st.operation is Operation.TRUNCATE:
            if target.id in local:
                local[target.id] = _Local(ref=target)
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
        columns, through = compose_columns(
            target.id, st.columns, lambda i: local[i].columns if i in local else None)
        intermediate |= through - {target.id}
        entry = local.get(target.id)
        if entry is None or st.operation in _RESETS:
            entry = local[target.id] = _Local(ref=target)
        for ref in reads:
            if ref.id != target.id:
                entry.upstreams.setdefault(ref.id, ref)
        merge_columns(entry.columns, columns)
    targets = [entry for dataset_id, entry in local.items() if dataset_id not in intermediate]
    return ScriptLineage(
        targets=tuple(entry.ref for entry in targets if entry.ref is not None),
        sources=tuple(sources.values()),
        columns=tuple(sorted([*_edges(targets), *column_lineage(SELECT_DATASET, selected)],
                             key=lambda e: (e.target, e.source, e.kind))),
    )


def _resolve_reads(
    refs: Iterable[DatasetRef], local: dict[str, _Local], intermediate: set[str], sources: dict[str, DatasetRef],
    writer: str | None,
) -> list[DatasetRef]:
    resolved: list[DatasetRef] = []
    for ref in refs:
        entry = local.get(ref.id)
        if entry is None:
            sources.setdefault(ref.id, ref)
            resolved.append(ref)
        else:
            if ref.id != writer:
                intermediate.add(ref.id)
            resolved.extend(entry.upstreams.values())
    return resolved


def _swap(a: DatasetRef, b: DatasetRef, local: dict[str, _Local], sources: dict[str, DatasetRef]) -> None:
    first, second = local.pop(a.id, None), local.pop(b.id, None)
    for ref, content, other in ((a, second, b), (b, first, a)):
        entry = content if content is not None else _Local(upstreams={other.id: other})
        if content is None:
            sources.setdefault(other.id, other)
        entry.ref = ref
        local[ref.id] = entry


def _edges(targets: Iterable[_Local]) -> Iterable[ColumnLineage]:
    for entry in targets:
        if entry.ref is not None:
            yield from column_lineage(entry.ref.id, entry.columns)
