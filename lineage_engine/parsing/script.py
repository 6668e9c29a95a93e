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
* an object the script first writes by adding to it (INSERT / MERGE / UPDATE / DELETE /
  COPY, no CREATE before) existed before the script and keeps its earlier rows: a later
  read of it reads those too, so it stays a source (table and columns) besides standing
  for what the script wrote into it, and it stays a target (``INSERT INTO t2 ... FROM t1;
  INSERT INTO t3 ... FROM t2`` gives sources t1, t2 and targets t2, t3);
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

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from lineage_engine.model import (
    SELECT_DATASET,
    ColumnLineage,
    DatasetRef,
    Operation,
    StatementLineage,
    column_id,
    transform_rank,
)
from lineage_engine.parsing.column_compose import ColumnMap, Edge, column_lineage, compose_columns, merge_columns

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
    existed: bool = False  # first written by an add: it had rows before the script


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
                merge_columns(selected, compose_columns(SELECT_DATASET, st.columns, lambda i: _columns_of(local, i))[0])
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
        columns, through = compose_columns(target.id, st.columns, lambda i: _columns_of(local, i))
        intermediate |= through - {target.id} - _existing(local)
        entry = local.get(target.id)
        if entry is None or st.operation in _RESETS:
            existed = entry is None and st.operation not in _RESETS and not st.temporary  # a temp starts empty
            entry = local[target.id] = _Local(ref=target, existed=existed)
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
            if entry.existed:  # its rows from before the script are read too
                sources.setdefault(ref.id, ref)
                resolved.append(ref)
            elif ref.id != writer:
                intermediate.add(ref.id)
            resolved.extend(entry.upstreams.values())
    return resolved


def _existing(local: dict[str, _Local]) -> set[str]:
    return {dataset_id for dataset_id, entry in local.items() if entry.existed}


def _columns_of(local: dict[str, _Local], dataset_id: str) -> Mapping[str, Mapping[tuple[str, str], Edge]] | None:
    """Return the column map a read of ``dataset_id`` goes through, or None (an outside dataset)."""
    entry = local.get(dataset_id)
    if entry is None:
        return None
    return _WithEarlierRows(entry.columns, dataset_id) if entry.existed else entry.columns


class _WithEarlierRows(Mapping[str, Mapping[tuple[str, str], Edge]]):
    """The column map of an object that existed before the script: each column also derives from itself."""

    def __init__(self, columns: ColumnMap, dataset_id: str) -> None:
        self._columns, self._id = columns, dataset_id

    def __getitem__(self, name: str) -> Mapping[tuple[str, str], Edge]:
        own = {(column_id(self._id, name), "DIRECT"): (transform_rank("identity"), "DIRECT", 1.0)}
        return {**own, **self._columns.get(name, {})}

    def __iter__(self) -> Iterator[str]:
        return iter(self._columns)

    def __len__(self) -> int:
        return len(self._columns)


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
