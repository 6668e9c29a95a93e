"""Turn container events into dataset events, from the graph's state at that instant (issue 10).

Pure: no I/O. The parser reports ``DROP SCHEMA|DATABASE`` (and ``CREATE OR REPLACE
SCHEMA|DATABASE``, a drop of the old contents), ``UNDROP TABLE|SCHEMA|DATABASE`` and
``ALTER SCHEMA|DATABASE a RENAME TO b`` as events whose target is a container (a
:class:`~lineage_engine.model.DatasetRef` of kind ``schema`` or ``database``; see
``CONTAINER_KINDS``) or, for UNDROP, a dataset. Only the graph knows what a container holds
at that instant, so the store splits a batch at each such event (:func:`split_batch`),
writes what came before, reads the datasets inside (:func:`contained`), and folds the
dataset events built here, in the same transaction:

* **DROP** of a container: one DROP per dataset inside that is not dropped (ids starting
  with ``container.``, stages ``@container.`` too), at the same instant and query.
* **RENAME** of a container: one RENAME per dataset inside that is not dropped, to the same
  name under the new container; ``query_type`` ``RENAME`` (an identity move for the walks);
  then intervals between two moved datasets are pointed at the moved upstream
  (:func:`inside_fixups`).
* **SWAP** of two containers (``ALTER SCHEMA|DATABASE a SWAP WITH b``: Snowflake exchanges
  their contents, so each name then holds the other's objects): a name both hold alive gets one
  SWAP of the two datasets, a name only one holds one RENAME to the same name under the other
  (``query_type`` ``SWAP`` / ``RENAME``: identity moves); then the intervals between two moved
  datasets are pointed at the moved upstreams, both ways (:func:`inside_fixups`).
* **CLONE** of a container (``CREATE SCHEMA|DATABASE new CLONE old``): one CLONE per dataset
  that ``old`` holds and that is not dropped (stages are not: Snowflake does not clone an
  internal stage's files), into the same name under ``new`` (dataset edges
  only: the columns are not known here, so the walk goes on at table level).
* **UNDROP** of a container: the datasets inside whose ``dropped_at`` is the latest drop
  time among them (what the container's drop closed; a table dropped on its own before
  stays dropped, as in Snowflake); of a table: that table when it is dropped. Each comes
  back as an add-only event (``query_type`` ``UNDROP``, an identity move: the content was
  derived before the drop) that reopens the dataset and column intervals closed at its
  drop instant and clears ``dropped_at``.

A container event never creates a Dataset node. Replays are safe: the dataset events carry
the statement's position, so a re-run is skipped per dataset like any other event.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import timedelta

from lineage_engine.model import (
    CONTAINER_KINDS,
    ColumnLineage,
    ColumnRef,
    DatasetRef,
    EdgeRow,
    LineageEvent,
    Operation,
    join_id,
    split_id,
)

UNDROP_QUERY_TYPE = "UNDROP"
"""``query_type`` of the intervals an UNDROP reopens (an identity move, see exposure.walk)."""
RENAME_QUERY_TYPE = "RENAME"
"""``query_type`` of the datasets a container RENAME moves (an identity move)."""
SWAP_QUERY_TYPE = "SWAP"
"""``query_type`` of the datasets a container SWAP exchanges (an identity move)."""
_MICROSECOND = timedelta(microseconds=1)


def needs_state(event: LineageEvent) -> bool:
    """Return True for an event the store must expand from the graph's state (see module doc)."""
    return event.target.kind in CONTAINER_KINDS or event.operation is Operation.UNDROP


def split_batch(events: Sequence[LineageEvent]) -> list[list[LineageEvent]]:
    """Split ``events`` into runs of plain events and single events that need state, in order."""
    out: list[list[LineageEvent]] = []
    run: list[LineageEvent] = []
    for event in events:
        if needs_state(event):
            if run:
                out.append(run)
                run = []
            out.append([event])
        else:
            run.append(event)
    if run:
        out.append(run)
    return out


def prefixes(container_id: str) -> tuple[str, str]:
    """Return the id prefixes of what ``container_id`` holds: datasets and stages."""
    return container_id + ".", "@" + container_id + "."


def contained(container_id: str, nodes: Iterable[tuple[str, str | None, str | None, object]]) -> list[tuple]:
    """Return the ``(id, name, kind, dropped_at)`` rows of ``nodes`` inside ``container_id``, sorted by id."""
    inside = prefixes(container_id)
    return sorted((n for n in nodes if n[0].startswith(inside)), key=lambda n: n[0])


def expand(event: LineageEvent, inside: Sequence[tuple]) -> list[LineageEvent]:
    """Return the dataset events of a container DROP, RENAME or CLONE (UNDROP: see :func:`undrop_targets`).

    Args:
        event: a DROP or RENAME whose target is a container, or a CLONE between containers.
        inside: ``(id, name, kind, dropped_at)`` of the datasets the container holds (for a
            CLONE: the source container; any state, dropped ones are left out here), from
            :func:`contained`.
    """
    alive = [n for n in inside if n[3] is None]
    if event.operation is Operation.DROP:
        return [replace(event, target=_ref(n), sources=(), replaces=False, counterpart=None, columns=())
                for n in alive]
    if event.operation is Operation.CLONE and len(event.sources) == 1:
        # CREATE SCHEMA|DATABASE new CLONE old: each dataset of old is cloned under new (``inside``:
        # what old holds); the columns are not known here, so the walk goes on at table level
        old, new = event.sources[0], event.target
        return [replace(event, target=_moved(n, old, new), sources=(_ref(n),), replaces=True, counterpart=None,
                        columns=()) for n in alive if not n[0].startswith("@")]  # stages hold no copy
    if event.operation is Operation.RENAME and event.counterpart is not None:
        old, new = event.target, event.counterpart
        return [replace(event, query_type=RENAME_QUERY_TYPE, target=_ref(n), counterpart=_moved(n, old, new),
                        sources=(), replaces=False, columns=()) for n in alive]
    if event.operation is Operation.SWAP and event.counterpart is not None:
        return _swapped(event, alive)
    return []


def _swapped(event: LineageEvent, alive: Sequence[tuple]) -> list[LineageEvent]:
    """Return the dataset events of a container SWAP (module doc): ``alive`` holds the datasets of both."""
    one, other = event.target, event.counterpart
    assert other is not None
    ids = {n[0] for n in alive}
    out = []
    for n in alive:
        first = any(n[0].startswith(p) for p in prefixes(one.id))
        partner = _moved(n, one, other) if first else _moved(n, other, one)
        if partner.id not in ids:
            out.append(replace(event, query_type=RENAME_QUERY_TYPE, operation=Operation.RENAME, target=_ref(n),
                               counterpart=partner, sources=(), replaces=False, columns=()))
        elif first:  # one SWAP per pair
            kind = next(m[2] for m in alive if m[0] == partner.id) or "table"
            out.append(replace(event, query_type=SWAP_QUERY_TYPE, target=_ref(n),
                               counterpart=DatasetRef(partner.id, partner.name, kind), sources=(), replaces=False,
                               columns=()))
    return out


def destinations(moves: Sequence[LineageEvent]) -> list[str]:
    """Return the ids the dataset events of a container RENAME or SWAP (:func:`expand`) moved content
    into, sorted: each counterpart, and each side of a SWAP."""
    out = {e.counterpart.id for e in moves if e.counterpart is not None}
    out |= {e.target.id for e in moves if e.operation is Operation.SWAP}
    return sorted(out)


def undrop_targets(event: LineageEvent, inside: Sequence[tuple]) -> list[tuple]:
    """Return the ``(id, name, kind, dropped_at)`` rows an UNDROP brings back (module doc)."""
    dropped = [n for n in inside if n[3] is not None]
    if not dropped:
        return []
    if event.target.kind not in CONTAINER_KINDS:
        return [n for n in dropped if n[0] == event.target.id]
    latest = max(n[3] for n in dropped)
    return [n for n in dropped if n[3] == latest]


def undrop_event(event: LineageEvent, node: tuple, upstreams: Sequence[tuple[str, str | None, str | None]],
                 columns: Sequence[ColumnLineage]) -> LineageEvent:
    """Return the add-only event that brings ``node`` back with what its drop closed.

    Args:
        event: the UNDROP (its instant and query).
        node: ``(id, name, kind, dropped_at)`` of the dataset.
        upstreams: ``(id, name, kind)`` of the dataset intervals closed at its drop instant.
        columns: the column intervals closed then, as column edges (transform and kind kept).
    """
    return replace(event, query_type=UNDROP_QUERY_TYPE, operation=Operation.INSERT, target=_ref(node),
                   sources=tuple(DatasetRef(i, name or i, kind or "table") for i, name, kind in upstreams),
                   replaces=False, counterpart=None, via=(), columns=tuple(columns))


def _ref(node: tuple) -> DatasetRef:
    return DatasetRef(node[0], node[1] or node[0], node[2] or "table")


def _moved(node: tuple, old: DatasetRef, new: DatasetRef) -> DatasetRef:
    """The dataset ``node`` under container ``new`` instead of ``old`` (ids and display names)."""
    stage = "@" if node[0].startswith("@") else ""
    tail_id = split_id(node[0].lstrip("@"))[len(split_id(old.id)):]
    name = (node[1] or node[0]).lstrip("@")
    name_parts = split_id(name)
    tail_name = name_parts[len(split_id(old.name)):] if len(name_parts) == len(tail_id) + len(split_id(old.id)) \
        else tail_id
    return DatasetRef(stage + join_id((*split_id(new.id), *tail_id)), stage + join_id((*split_id(new.name), *tail_name)),
                      node[2] or "table")


def inside_fixups(event: LineageEvent, moved: Sequence[str], dataset_rows: Sequence[EdgeRow],
                  column_rows: Sequence[EdgeRow]) -> list[LineageEvent]:
    """Return the events that point moved datasets at moved upstreams after a container RENAME or SWAP.

    A per-dataset RENAME moves a dataset's incoming intervals but not the upstream end of an
    interval from another dataset of the same container (``s.b <- s.a`` would become
    ``s2.b <- s.a``). For each moved dataset with such an upstream, one replacing event a
    microsecond after the rename (so a replay skips it like the rename) re-derives its open
    intervals with upstreams inside the old container renamed (``s2.b <- s2.a``), columns
    and transforms kept; the walk treats it as an identity move (``query_type`` RENAME).

    Args:
        event: the container RENAME (target: old container, counterpart: new one) or SWAP (an
            upstream inside either container is renamed to the other's).
        moved: the new ids of the moved datasets (:func:`destinations`).
        dataset_rows, column_rows: their open incoming intervals (dataset and column).
    """
    if event.counterpart is None:
        return []
    old, new = event.target.id, event.counterpart.id
    pairs = [(old, new)] + ([(new, old)] if event.operation is Operation.SWAP else [])

    def rename(i: str) -> str:
        for a, b in pairs:
            for prefix in prefixes(a):
                if i.startswith(prefix):
                    return prefix.replace(a, b, 1) + i[len(prefix):]
        return i

    out = []
    for dataset in moved:
        rows = [r for r in dataset_rows if r.downstream == dataset]
        if not any(rename(r.upstream) != r.upstream for r in rows):
            continue
        sources = tuple(DatasetRef(rename(r.upstream), rename(r.upstream).upper()) for r in rows)
        columns = tuple(ColumnLineage(_rename_column(r.upstream, rename), r.downstream,
                                      r.transform or "expression", r.kind or "DIRECT")
                        for r in column_rows if r.downstream.startswith(dataset + "."))
        out.append(replace(event, at=event.at + _MICROSECOND, query_type=RENAME_QUERY_TYPE,
                           operation=Operation.REPLACE, target=DatasetRef(dataset, dataset.upper()),
                           sources=sources, replaces=True, counterpart=None, via=(), columns=columns))
    return out


def _rename_column(column: str, rename: Callable[[str], str]) -> str:
    ref = ColumnRef.parse(column)
    return ColumnRef(rename(ref.dataset_id), ref.name).id
