"""Open, re-observe and close ``DERIVES_FROM`` intervals during a fold (design §6). Pure.

One :class:`Intervals` holds one relationship family, dataset edges or column edges; the
fold (:mod:`.timeline`) runs the same events through both, so the two follow one temporal
contract by construction. An edge is keyed by ``(downstream, upstream, kind)`` (``kind`` is
empty on dataset edges, ``DIRECT``/``INDIRECT`` on column edges) and belongs to the *group*
of its downstream: the dataset itself, or the dataset a column is in. What an event does
acts on groups: a replace closes every open edge of the target's group that it does not
re-derive (for columns: into any column of the target), DROP closes the group, RENAME moves
it, SWAP exchanges two groups. A replace that reads its own target (``INSERT OVERWRITE t
SELECT ... FROM t``, ``CREATE OR REPLACE TABLE t AS SELECT ... FROM t``) is applied as an
add: the new content derives from the old, so the old upstreams stay open (a superset,
never a lost path). No self-loops: a dataset edge whose upstream is its own dataset is
never stored. A column edge *inside* one dataset (``UPDATE t SET notes = email``: ``t.notes
<- t.email``) is stored (``inside=True``, the column family): it is how a value reaches an
unmasked column of a table whose own column is masked. It belongs to its dataset's group
like any edge into it; RENAME and SWAP move both of its ends.

Transforms (column edges). An add-only event (INSERT, MERGE) widens an open interval's
transform to the most revealing of the old and the new one (rows copied clear stay clear
beside hashed ones); a replace sets it to the event's. A change of transform closes the
interval and opens a new one at the event's instant, so as-of reads stay exact.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from lineage_engine.model import TRANSFORMS, EdgeRow, LineageEvent, Operation, dataset_of, transform_along, transform_rank

EdgeKey = tuple[str, str, str]
"""(downstream, upstream, kind); kind is empty on dataset edges."""
Want = tuple[tuple[str, ...], str]
"""What an event asks of one edge: (via, transform)."""
GroupOf = Callable[[str], str]


def dataset_group(node_id: str) -> str:
    """Group of a dataset edge endpoint: the dataset itself."""
    return node_id


def column_group(node_id: str) -> str:
    """Group of a column edge endpoint: its dataset (``db.s.t.col`` -> ``db.s.t``, quoting honoured)."""
    return dataset_of(node_id)


def row_key(row: EdgeRow) -> tuple[str, str, str, datetime]:
    """Return the stored identity of an interval: (downstream, upstream, kind, valid_from)."""
    return (row.downstream, row.upstream, row.kind, row.valid_from)


class _Interval:
    """A mutable working copy of one interval during the fold."""

    __slots__ = ("row", "stored", "stored_open", "stored_via", "dirty")

    def __init__(self, row: EdgeRow, *, stored: bool) -> None:
        self.row = row
        self.stored = stored
        self.stored_open = stored and row.valid_to is None
        self.stored_via = row.via if stored else None
        self.dirty = not stored


class Intervals:
    """The intervals of one relationship family while a batch is folded.

    Args:
        open_rows: the stored *open* intervals the batch may touch (see ``reads_for``).
        group_of: :func:`dataset_group` or :func:`column_group`.
        inside: store edges whose two ends are in one group (column edges inside a
            dataset); an edge from a node to itself is never stored.
    """

    def __init__(self, open_rows: Iterable[EdgeRow], group_of: GroupOf, *, inside: bool = False) -> None:
        self.group_of = group_of
        self.inside = inside
        self.open: dict[str, dict[EdgeKey, _Interval]] = {}
        self.all: dict[tuple[str, str, str, datetime], _Interval] = {}
        self.closed_here: dict[EdgeKey, _Interval] = {}
        for row in open_rows:
            if row.valid_to is None and self.storable(row.downstream, row.upstream):
                self._track(_Interval(row, stored=True))

    def storable(self, downstream: str, upstream: str) -> bool:
        """Return False for a self-loop: an edge from a node to itself, or (``inside`` off) into its own group."""
        if self.inside:
            return downstream != upstream
        return self.group_of(downstream) != self.group_of(upstream)

    def _track(self, interval: _Interval) -> None:
        row = interval.row
        self.all[row_key(row)] = interval
        self.open.setdefault(self.group_of(row.downstream), {})[(row.downstream, row.upstream, row.kind)] = interval

    def apply(self, event: LineageEvent, wanted: dict[EdgeKey, Want]) -> None:
        """Apply one (not stale) event; ``wanted``: the edges it derives, for data-moving events."""
        target = event.target.id
        other = event.counterpart.id if event.counterpart is not None else None
        if event.operation is Operation.DROP:
            for key in list(self.open.get(target, {})):
                self.close(key, event.at)
        elif event.operation is Operation.RENAME and other is not None:
            moved = {(other + d[len(target):], other + u[len(target):] if self.group_of(u) == target else u, k):
                     (tuple(sorted(set(via) | set(event.via))), t)
                     for (d, u, k), (via, t) in self.open_set(target).items() if self.group_of(u) != other}
            self.replace_with(target, {}, event)
            self.replace_with(other, moved, event)
        elif event.operation is Operation.SWAP and other is not None:
            mine, theirs = self.open_set(target), self.open_set(other)
            self.replace_with(target, swapped(theirs, mine, other, target, self.group_of), event)
            self.replace_with(other, swapped(mine, theirs, target, other, self.group_of), event)
        elif event.replaces and not reads_itself(event):
            self.replace_with(target, wanted, event)
        else:
            for key, (via, transform) in wanted.items():
                self.add(key, event, via, transform, replacing=False)

    def open_set(self, group: str) -> dict[EdgeKey, Want]:
        """Return the open edges of ``group`` with their via and transform."""
        return {key: (i.row.via, i.row.transform) for key, i in self.open.get(group, {}).items()}

    def replace_with(self, group: str, wanted: dict[EdgeKey, Want], event: LineageEvent) -> None:
        """Close the group's open edges not in ``wanted``; add (re-observe) the wanted ones."""
        for key in list(self.open.get(group, {})):
            if key not in wanted:
                self.close(key, event.at)
        for key, (via, transform) in wanted.items():
            self.add(key, event, via, transform, replacing=True)

    def add(self, key: EdgeKey, event: LineageEvent, via: tuple[str, ...], transform: str, *, replacing: bool) -> None:
        """Open ``key`` at the event's instant, or re-observe its open interval."""
        downstream, upstream, kind = key
        if not self.storable(downstream, upstream):
            return
        current = self.open.get(self.group_of(downstream), {}).get(key)
        if current is not None and not replacing:
            transform = reveal(current.row.transform, transform)
        if current is not None and current.row.transform != transform:
            self.close(key, event.at)
            current = None
        if current is None:
            current = self._reopen(key, event.at, transform)
        if current is None:
            row = EdgeRow(downstream, upstream, event.at, None, event.at, event.at, 1, event.query_id,
                          event.query_type, tuple(sorted(set(via))), event.provenance, transform, kind)
            self._track(_Interval(row, stored=False))
            return
        row = current.row
        if event.at > row.last_seen:
            row = replace(row, last_seen=event.at, observations=row.observations + 1,
                          last_query_id=event.query_id, query_type=event.query_type, provenance=event.provenance)
        merged_via = tuple(sorted(set(row.via) | set(via)))
        if merged_via != row.via:
            row = replace(row, via=merged_via)
        if row != current.row:
            current.row = row
            current.dirty = True

    def _reopen(self, key: EdgeKey, at: datetime, transform: str) -> _Interval | None:
        """Undo a close made by this batch at the same instant (contiguous, same transform)."""
        interval = self.closed_here.get(key)
        if interval is None or interval.row.valid_to != at or interval.row.transform != transform:
            return None
        del self.closed_here[key]
        interval.row = replace(interval.row, valid_to=None)
        self.open.setdefault(self.group_of(key[0]), {})[key] = interval
        return interval

    def close(self, key: EdgeKey, at: datetime) -> None:
        """Close the open interval of ``key`` at ``at``."""
        interval = self.open[self.group_of(key[0])].pop(key)
        if not interval.stored and interval.row.valid_from == at:
            del self.all[row_key(interval.row)]  # opened and closed at one instant: never valid
            return
        interval.row = replace(interval.row, valid_to=at)
        self.closed_here[key] = interval

    def results(self) -> Changes:
        """Return what to write, rows sorted by :func:`row_key`."""
        intervals = sorted(self.all.values(), key=lambda i: row_key(i.row))
        return Changes(
            created=[i.row for i in intervals if not i.stored],
            updated=[i.row for i in intervals if i.stored and i.dirty],
            via_grown=[i.row for i in intervals if i.stored and i.dirty and i.row.via != i.stored_via],
            closes=[i.row for i in intervals if i.row.valid_to is not None and (not i.stored or i.stored_open)],
        )


@dataclass(frozen=True, slots=True)
class Changes:
    """The writes of one relationship family, each list sorted by :func:`row_key`.

    Attributes:
        created: new intervals (all properties to write; ``valid_to`` null, ``closes``
            then set it).
        updated: stored (open) intervals re-observed, or given more ``via``.
        via_grown: those of ``updated`` whose ``via`` grew.
        closes: intervals whose ``valid_to`` becomes set.
    """

    created: list[EdgeRow]
    updated: list[EdgeRow]
    via_grown: list[EdgeRow]
    closes: list[EdgeRow]

    @property
    def upserts(self) -> list[EdgeRow]:
        """Return created and updated intervals together, sorted."""
        return sorted(self.created + self.updated, key=row_key)


def swapped(incoming: dict[EdgeKey, Want], own: dict[EdgeKey, Want], source: str, side: str,
            group_of: GroupOf) -> dict[EdgeKey, Want]:
    """Edges ``side`` gets in a swap: ``source``'s, moved onto ``side``.

    An upstream inside ``side`` itself (``source`` was a clone of ``side``) is replaced by
    ``side``'s own upstreams of that node (for a ``*`` column: all of them), so a
    clone-and-swap never creates a self-loop; transforms and kinds combine as along a path.
    A column edge inside ``source`` moves inside ``side`` (both ends renamed).
    """
    result: dict[EdgeKey, Want] = {}
    inherited: dict[EdgeKey, Want] = {}
    inside: dict[EdgeKey, Want] = {}
    for (down, up, kind), (via, transform) in incoming.items():
        moved = side + down[len(source):]
        if group_of(up) == source:  # an edge inside ``source`` (columns) stays inside, on ``side``
            inside[(moved, side + up[len(source):], kind)] = (via, transform)
            continue
        if group_of(up) != side:
            result[(moved, up, kind)] = (via, transform)
            continue
        for (own_down, own_up, own_kind), (own_via, own_transform) in own.items():
            if own_down == up:
                into = moved
            elif up.endswith(".*") and down.endswith(".*"):
                into = own_down
            else:
                continue
            key = (into, own_up, "INDIRECT" if "INDIRECT" in (kind, own_kind) else kind)
            inherited.setdefault(key, (own_via, along(transform, own_transform)))
    for key, want in inherited.items():
        result.setdefault(key, want)
    result.update(inside)
    return {key: want for key, want in result.items() if key[0] != key[1]}  # no self-loop


def reveal(a: str, b: str) -> str:
    """Combine alternatives for one edge: the more revealing transform (empty stays empty)."""
    if a == b or not a or not b:
        return a or b
    return TRANSFORMS[max(transform_rank(a), transform_rank(b))]


def along(a: str, b: str) -> str:
    """Combine two steps of a path, ``a`` after ``b`` (``transform_along``; empty stays empty)."""
    if a == b or not a or not b:
        return a or b
    return transform_along(a, b)


def reads_itself(event: LineageEvent) -> bool:
    """Return True when the event's target is also one of its sources."""
    target = event.target.id
    return any(source.id == target for source in event.sources)


def dataset_wants(event: LineageEvent) -> dict[EdgeKey, Want]:
    """Return the dataset edges a data-moving event derives: ``(target, source, "")``."""
    target = event.target.id
    return {(target, s.id, ""): (event.via, "") for s in event.sources if s.id != target}


def column_wants(event: LineageEvent) -> dict[EdgeKey, Want]:
    """Return the column edges a data-moving event derives: ``(target column, source column, kind)``.

    Only edges into a column of the event's target from a column of one of its sources,
    or of the target itself (an edge inside it), are kept, so a column edge always lies
    along a dataset edge of the same event or inside its target. One event naming an edge
    twice keeps the more revealing transform.
    """
    if not event.columns:
        return {}
    target = event.target.id
    sources = {s.id for s in event.sources} | {target}
    wants: dict[EdgeKey, Want] = {}
    for edge in event.columns:
        if dataset_of(edge.target) != target or dataset_of(edge.source) not in sources:
            continue
        key = (edge.target, edge.source, edge.kind)
        old = wants.get(key)
        wants[key] = (event.via, edge.transform if old is None else reveal(old[1], edge.transform))
    return wants
