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
from datetime import datetime, timezone

from lineage_engine.model import TRANSFORMS, EdgeRow, LineageEvent, Operation, dataset_of, transform_along, transform_rank

_ANY_EARLIER = datetime(1970, 1, 1, tzinfo=timezone.utc)
"""The instant of a Time Travel point not known (``parsing.time_travel.ANY_EARLIER``; not imported:
that module loads sqlglot)."""

EdgeKey = tuple[str, str, str]
"""(downstream, upstream, kind); kind is empty on dataset edges."""
Want = tuple[tuple[str, ...], str]
"""What an event asks of one edge: (via, transform)."""
GroupOf = Callable[[str], str]
NextReset = Callable[[str, tuple[datetime, str]], tuple[tuple[datetime, str] | None, tuple[str, bool] | None]]
"""``(group, position) -> (position of the group's first reset after it or None, (destination, swap)
when that reset moved the group's content, else None)``."""
MAX_CARRIES = 128
"""Moves a late event's content is carried across at most (a guard: each move is later than the last)."""


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

    __slots__ = ("row", "stored", "stored_open", "stored_via", "stored_to", "stored_transform", "stored_from",
                 "stored_first", "dirty")

    def __init__(self, row: EdgeRow, *, stored: bool) -> None:
        self.row = row
        self.stored = stored
        self.stored_open = stored and row.valid_to is None
        self.stored_via = row.via if stored else None
        self.stored_to = row.valid_to if stored else None
        self.stored_transform = row.transform if stored else None
        self.stored_from = row.valid_from if stored else None
        self.stored_first = row.first_seen if stored else None
        self.dirty = not stored

    def covers(self, at: datetime) -> bool:
        """Return True when the interval is valid at ``at`` (``valid_from <= at < valid_to``)."""
        return self.row.valid_from <= at and (self.row.valid_to is None or self.row.valid_to > at)

    def empty(self) -> bool:
        """Return True for an interval valid at no instant (closed at its own ``valid_from``)."""
        return self.row.valid_to is not None and self.row.valid_to <= self.row.valid_from


class Intervals:
    """The intervals of one relationship family while a batch is folded.

    Args:
        open_rows: the stored *open* intervals the batch may touch (see ``reads_for``).
        group_of: :func:`dataset_group` or :func:`column_group`.
        inside: store edges whose two ends are in one group (column edges inside a
            dataset); an edge from a node to itself is never stored.
    """

    def __init__(self, open_rows: Iterable[EdgeRow], group_of: GroupOf, *, inside: bool = False,
                 history: Iterable[EdgeRow] = ()) -> None:
        self.group_of = group_of
        self.inside = inside
        self.open: dict[str, dict[EdgeKey, _Interval]] = {}
        self.all: dict[tuple[str, str, str, datetime], _Interval] = {}
        self.closed_here: dict[EdgeKey, _Interval] = {}
        self.history: dict[EdgeKey, list[_Interval]] = {}
        """Every known interval of a key (for the groups of late events: stored closed ones too)."""
        self.keys: dict[str, set[EdgeKey]] = {}
        """The keys of :attr:`history` by group."""
        self.changes = 0
        """Writes made by late events so far (:meth:`apply_late` compares it before and after)."""
        self.inexact = False
        """Set by :meth:`apply_late` when part of a late event could not be applied exactly."""
        for row in open_rows:
            if row.valid_to is None and self.storable(row.downstream, row.upstream):
                self._track(_Interval(row, stored=True))
        for row in history:
            if row_key(row) not in self.all and self.storable(row.downstream, row.upstream):
                interval = _Interval(row, stored=True)
                if row.valid_to is None:
                    self._track(interval)
                else:
                    self._remember(interval)

    def storable(self, downstream: str, upstream: str) -> bool:
        """Return False for a self-loop: an edge from a node to itself, or (``inside`` off) into its own group."""
        if self.inside:
            return downstream != upstream
        return self.group_of(downstream) != self.group_of(upstream)

    def _track(self, interval: _Interval) -> None:
        row = interval.row
        self._remember(interval)
        self.open.setdefault(self.group_of(row.downstream), {})[(row.downstream, row.upstream, row.kind)] = interval

    def _remember(self, interval: _Interval) -> None:
        row = interval.row
        key = (row.downstream, row.upstream, row.kind)
        previous = self.all.get(row_key(row))
        if previous is not None and previous in self.history.get(key, ()):
            self.history[key].remove(previous)
        self.all[row_key(row)] = interval
        self.history.setdefault(key, []).append(interval)
        self.keys.setdefault(self.group_of(row.downstream), set()).add(key)

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
            if event.overwrites:  # columns overwritten in every row: their other lineage ends here
                ends = set(event.overwrites)
                for key in [k for k in self.open.get(target, {}) if k[0] in ends and k not in wanted]:
                    self.close(key, event.at)
            if event.column_moves:  # RENAME COLUMN: the old column's lineage moves to the new name
                wanted = dict(wanted)
                for old, new in event.column_moves:
                    for key in [k for k in self.open.get(target, {}) if k[0] == old]:
                        moved = self.open[target][key].row
                        self.close(key, event.at)
                        wanted.setdefault((new, key[1], key[2]), (moved.via, moved.transform))
            for key, (via, transform) in wanted.items():
                self.add(key, event, via, transform, replacing=False)

    def restore(self, group: str, point: datetime, event: LineageEvent) -> None:
        """Give ``group`` back what it held at ``point``: a statement that reads its own target at a
        Time Travel point (``CREATE OR REPLACE t CLONE t BEFORE (...)``, ``INSERT INTO t SELECT * FROM
        t AT (...)``). Each interval of the group valid at ``point`` and not open now reopens at the
        event's instant, keeping its ``first_seen`` (its upstream's content was read then) and counted
        once more (so the walk reads the hull from then to this event, never one instant). A point not
        known (``point`` at the epoch, ``parsing.time_travel.ANY_EARLIER``) reads any earlier content:
        every interval of the group valid before the event and not open now reopens, and every interval
        of the group open since before the event stays, both with ``first_seen`` at the epoch (the answers
        count the dataset intervals under 'not seen'). Needs the
        group's closed intervals in ``history`` (:func:`lineage_engine.graph.timeline.late_reads`)."""
        current = self.open.get(group, {})
        for key in sorted(self.keys.get(group, ())):
            if key in current or not self.storable(key[0], key[1]):
                continue
            if point <= _ANY_EARLIER:  # a point not known: whatever it held at any instant before the statement
                then = [i.row for i in self.history.get(key, ()) if i.row.valid_from < event.at]
            else:
                then = [i.row for i in self.history.get(key, ()) if i.row.valid_from <= point
                        and (i.row.valid_to is None or i.row.valid_to > point)]
            if not then:
                continue
            old = min(then, key=lambda r: (r.first_seen, r.valid_from))
            if (key[0], key[1], key[2], event.at) in self.all:
                continue
            seen = min(old.first_seen, point)  # at a point not known: the epoch (counted under 'not seen')
            row = EdgeRow(old.downstream, old.upstream, event.at, None, seen, event.at, old.observations + 1,
                          event.query_id, event.query_type, old.via, event.provenance, old.transform, old.kind)
            self._track(_Interval(row, stored=False))
        if point <= _ANY_EARLIER:  # what it held before and still holds came back from a point not known too
            for interval in self.open.get(group, {}).values():
                if interval.row.valid_from < event.at and interval.row.first_seen > _ANY_EARLIER:
                    interval.row = replace(interval.row, first_seen=_ANY_EARLIER)
                    interval.dirty = True
                    self.changes += 1

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
            row = EdgeRow(downstream, upstream, event.at, None, first_seen(event, upstream), event.at,
                          reads_of(event, upstream), event.query_id,
                          event.query_type, tuple(sorted(set(via))), event.provenance, transform, kind)
            self._track(_Interval(row, stored=False))
            return
        row = observed(current.row, event, via)
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
            self.history[key].remove(interval)
            return
        interval.row = replace(interval.row, valid_to=at)
        self.closed_here[key] = interval

    # -- late events: older than what is applied to their dataset ---------------------------

    def apply_late(self, event: LineageEvent, wanted: dict[EdgeKey, Want], next_reset: NextReset) -> tuple[bool, bool]:
        """Apply an event older than the last one applied to its target (or counterpart).

        Needs every stored interval (open and closed) of the groups the event acts on in
        ``history``, and of the groups their content moved to later. ``next_reset(group,
        position)``: the position of the group's first reset after ``position`` (a replace,
        DROP, RENAME or SWAP of it; None when none is known) and, when that reset moved the
        group's content, ``(destination, swap)``.

        - What the event derives (an add, what a replace re-derives, what a RENAME or SWAP
          moves) is present from the event's instant on (:meth:`late_add`): an interval opens
          there up to the group's next reset, or the edge's next interval starts there instead,
          or the interval covering the instant is re-observed; a column interval with a less
          revealing transform gets the more revealing one from the event on. When that next
          reset moved the group's content (RENAME, SWAP), what the event derived moved with it:
          it is present at the destination from the move to the destination's next reset, and
          so on across later moves (:meth:`late_adds`).
        - What a reset (replace, DROP, the sides of RENAME and SWAP) closes: an interval
          valid at the event's instant and last observed before it is closed at that instant
          (exact: nothing re-derived it since). One observed at or after it stays as it is: the
          events between are not stored, so where it closed and reopened is unknown; it is
          kept (a superset: over-report, never under-report) and the event is inexact. One
          opened at the very instant of the event is taken as opened after it. When the group's
          content moved later, the copies the move made of what the event closes stay at the
          destination (a superset) and the event is inexact.

        Returns:
            ``(changed, exact)``: whether anything was written; whether the event was applied
            as it would have been in END_TIME order. Replaying it changes nothing.
        """
        self.inexact = False
        before = self.changes
        target = event.target.id
        other = event.counterpart.id if event.counterpart is not None else None
        if event.operation is Operation.DROP:
            self.late_reset(target, set(), event, next_reset)
        elif event.operation is Operation.RENAME and other is not None:
            moved = {(other + d[len(target):], other + u[len(target):] if self.group_of(u) == target else u, k):
                     (tuple(sorted(set(via) | set(event.via))), t)
                     for (d, u, k), (via, t) in self.live_before(target, event.at).items()
                     if self.group_of(u) != other}
            self.late_reset(target, set(), event, next_reset)
            self.late_adds(other, moved, event, next_reset)
            self.late_reset(other, set(moved), event, next_reset)
        elif event.operation is Operation.SWAP and other is not None:
            mine, theirs = self.live_before(target, event.at), self.live_before(other, event.at)
            into_target = swapped(theirs, mine, other, target, self.group_of)
            into_other = swapped(mine, theirs, target, other, self.group_of)
            self.late_adds(target, into_target, event, next_reset)
            self.late_adds(other, into_other, event, next_reset)
            self.late_reset(target, set(into_target), event, next_reset)
            self.late_reset(other, set(into_other), event, next_reset)
        elif event.replaces and not reads_itself(event):
            self.late_adds(target, wanted, event, next_reset)
            self.late_reset(target, set(wanted), event, next_reset)
        else:
            self.late_adds(target, wanted, event, next_reset)
        return self.changes != before, not self.inexact

    def live_before(self, group: str, at: datetime) -> dict[EdgeKey, Want]:
        """Return the edges of ``group`` valid just before ``at`` (opened before, open at or closed at ``at``)."""
        live: dict[EdgeKey, Want] = {}
        for key in sorted(self.keys.get(group, ())):
            for interval in self.history.get(key, ()):
                row = interval.row
                if row.valid_from < at and (row.valid_to is None or row.valid_to >= at) and not interval.empty():
                    live[key] = (row.via, row.transform)
        return live

    def late_adds(self, group: str, wanted: dict[EdgeKey, Want], event: LineageEvent, next_reset: NextReset) -> None:
        """Make each wanted edge present from the event to the group's next reset; when that
        reset moved the group's content, carry the edges to the destination from the move to its
        next reset, and on across its later moves (see :meth:`apply_late`)."""
        start, after = event.at, (event.at, event.query_id)
        for _ in range(MAX_CARRIES):
            position, move = next_reset(group, after)
            end = position[0] if position is not None else None
            for key, (via, transform) in sorted(wanted.items()):
                self.late_add(key, event, via, transform, end, start=start)
            if position is None or move is None or not wanted or (end is not None and end <= start):
                return
            destination, swap = move
            wanted = self.carried(wanted, group, destination, swap, position[0])
            group, start, after = destination, position[0], position

    def carried(self, wanted: dict[EdgeKey, Want], group: str, destination: str, swap: bool,
                at: datetime) -> dict[EdgeKey, Want]:
        """Return the edges of ``group`` in ``wanted`` as a move at ``at`` leaves them at ``destination``."""
        if swap:
            return swapped(wanted, self.live_before(destination, at), group, destination, self.group_of)
        return {(destination + d[len(group):], destination + u[len(group):] if self.group_of(u) == group else u, k): want
                for (d, u, k), want in wanted.items() if self.group_of(u) != destination}

    def late_add(self, key: EdgeKey, event: LineageEvent, via: tuple[str, ...], transform: str,
                 end: datetime | None, *, start: datetime | None = None) -> None:
        """Make ``key`` present from ``start`` (default ``event.at``; a later move's instant when
        carried) to ``end`` or to where its intervals end.

        With no interval of ``key`` there, ``[event.at, end)`` opens. Else the first one is
        extended back to the event's instant (or re-observed when it covers it), and it and the
        intervals contiguous with it get the more revealing transform. An interval that ends
        with no contiguous successor ended at a reset of the dataset (in END_TIME order only a
        reset closes an edge, a change of transform reopens it at once), and so does the edge
        the event derived: nothing opens after it (that stays right on a graph whose resets
        before the upgrade are not stored).
        """
        downstream, upstream, kind = key
        at = event.at if start is None else start
        if not self.storable(downstream, upstream) or (end is not None and end <= at):
            return
        pieces = sorted((i for i in self.history.get(key, ()) if not i.empty()
                         and (end is None or i.row.valid_from < end)
                         and (i.row.valid_to is None or i.row.valid_to > at)), key=lambda i: i.row.valid_from)
        if not pieces:
            self._late_interval(key, event, via, transform, at, end)
            return
        for n, piece in enumerate(pieces):
            if n and piece.row.valid_from != pieces[n - 1].row.valid_to:
                return  # the edge ended at a reset
            if transform and reveal(piece.row.transform, transform) != piece.row.transform:
                piece = self._reveal_from(piece, at, reveal(piece.row.transform, transform))
                pieces[n] = piece
            if n == 0 and piece.row.valid_from > at:
                if (not transform or piece.row.transform == transform) \
                        and (downstream, upstream, kind, at) not in self.all:
                    self._extend_back(piece, at, via)  # one interval, as END_TIME order makes it
                else:  # the piece is more revealing than the event: END_TIME order splits there too
                    self._late_interval(key, event, via, transform, at, piece.row.valid_from)
            elif piece.covers(at):
                self._observe(piece, event, via)

    def late_reset(self, group: str, keep: set[EdgeKey], event: LineageEvent, next_reset: NextReset) -> None:
        """Close the group's edges valid at the event and not in ``keep`` that nothing observed since.

        When the group's next reset moved its content elsewhere, the moved copies of what is
        closed here stay (the move is not stored as events): inexact."""
        at = event.at
        moved: bool | None = None
        for key in sorted(self.keys.get(group, ())):
            if key in keep:
                continue
            for interval in list(self.history.get(key, ())):
                if interval.empty() or not interval.covers(at) or interval.row.valid_from == at:
                    continue  # opened at the reset's own instant: after it (in one batch, one before is never valid)
                if interval.row.last_seen < at:
                    self._cut(interval, at)
                    if moved is None:
                        moved = next_reset(group, (at, event.query_id))[1] is not None
                    if moved:
                        self.inexact = True  # the later move copied it to the destination: kept there
                else:
                    self.inexact = True  # observed since: where it closed and reopened is unknown; kept

    def _late_interval(self, key: EdgeKey, event: LineageEvent, via: tuple[str, ...], transform: str,
                       start: datetime, end: datetime | None) -> None:
        """Create the interval ``[start, end)`` of ``key`` observed by ``event`` (open when ``end`` is None)."""
        downstream, upstream, kind = key
        row = EdgeRow(downstream, upstream, start, end, first_seen(event, upstream), event.at, reads_of(event, upstream),
                      event.query_id,
                      event.query_type, tuple(sorted(set(via))), event.provenance, transform, kind)
        interval = _Interval(row, stored=False)
        if end is None:
            self._track(interval)
        else:
            self._remember(interval)
        self.changes += 1

    def _observe(self, interval: _Interval, event: LineageEvent, via: tuple[str, ...]) -> None:
        """Re-observe ``interval`` by a late event (only an event newer than ``last_seen`` counts)."""
        row = observed(interval.row, event, via)
        if row != interval.row:
            interval.row = row
            interval.dirty = True
            self.changes += 1

    def _extend_back(self, interval: _Interval, start: datetime, via: tuple[str, ...]) -> None:
        """Move ``interval``'s ``valid_from`` back to ``start``, the instant of a late event that derived
        it earlier (one more observation, as END_TIME order counts it)."""
        row = interval.row
        del self.all[row_key(row)]
        row = replace(row, valid_from=start, first_seen=min(start, row.first_seen),
                      via=tuple(sorted(set(row.via) | set(via))))
        row = replace(row, observations=row.observations + 1)
        interval.row = row
        interval.dirty = True
        self.all[row_key(row)] = interval
        self.changes += 1

    def _reveal_from(self, interval: _Interval, at: datetime, transform: str) -> _Interval:
        """Give ``interval`` the more revealing ``transform`` from ``at`` on; return the piece that has it."""
        row = interval.row
        if row.valid_from >= at:
            interval.row = replace(row, transform=transform)
            self.changes += 1
            return interval
        tail = _Interval(replace(row, valid_from=at, first_seen=at, transform=transform), stored=False)
        self._cut(interval, at)
        if tail.row.valid_to is None:
            self._track(tail)
        else:
            self._remember(tail)
        return tail

    def _cut(self, interval: _Interval, at: datetime) -> None:
        """End ``interval`` at ``at`` (earlier than its ``valid_to``, or it was open)."""
        row = interval.row
        key = (row.downstream, row.upstream, row.kind)
        if row.valid_to is None:
            self.open.get(self.group_of(row.downstream), {}).pop(key, None)
        interval.row = replace(row, valid_to=at)
        self.changes += 1

    def results(self) -> Changes:
        """Return what to write, rows sorted by :func:`row_key`."""
        intervals = sorted(self.all.values(), key=lambda i: row_key(i.row))
        return Changes(
            created=[i.row for i in intervals if not i.stored],
            updated=[i.row for i in intervals if i.stored and i.dirty],
            via_grown=[i.row for i in intervals if i.stored and i.dirty and i.row.via != i.stored_via],
            # a stored closed interval re-observed is upserted open (dataset edges): close it again
            closes=[i.row for i in intervals if i.row.valid_to is not None
                    and (not i.stored or i.dirty or i.row.valid_to != i.stored_to)],
            transformed=[i.row for i in intervals if i.stored and i.row.transform != i.stored_transform],
            # also those whose first_seen moved back (a Time Travel read, a temp filled earlier): the
            # move-back statements write first_seen, which a column re-observation does not
            moved_back=[(i.row, i.stored_from) for i in intervals
                        if i.stored and i.stored_from is not None
                        and (i.row.valid_from != i.stored_from or i.row.first_seen != i.stored_first)],
        )


@dataclass(frozen=True, slots=True)
class Changes:
    """The writes of one relationship family, each list sorted by :func:`row_key`.

    Attributes:
        created: new intervals (all properties to write; ``valid_to`` null, ``closes``
            then set it).
        updated: stored (open) intervals re-observed, or given more ``via``.
        via_grown: those of ``updated`` whose ``via`` grew.
        closes: intervals whose ``valid_to`` becomes set (or moves earlier: a late event).
        transformed: stored intervals whose ``transform`` a late event made more revealing.
        moved_back: ``(row, stored valid_from)`` of stored intervals a late event extended
            back to ``row.valid_from`` (write before the upserts: they match the new key).
    """

    created: list[EdgeRow]
    updated: list[EdgeRow]
    via_grown: list[EdgeRow]
    closes: list[EdgeRow]
    transformed: list[EdgeRow]
    moved_back: list[tuple[EdgeRow, datetime]]

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


def first_seen(event: LineageEvent, upstream: str | None = None) -> datetime:
    """Return when what ``event`` copies was first read: its instant, or the earliest write into the
    temporary objects it copies through (``via_since``: a temp filled before a masking policy existed),
    or, for an edge out of ``upstream`` (a dataset or column id) read at a Time Travel point, that
    point (``read_points``: the content copied is the upstream's content then)."""
    at = event.via_since if event.via_since is not None and event.via_since < event.at else event.at
    if event.read_points and upstream is not None:
        dataset = dataset_of(upstream)  # of a column id; a dataset id matches itself
        for source, point in event.read_points:
            if (source == upstream or source == dataset) and point < at:
                at = point
    return at


def reads_of(event: LineageEvent, upstream: str) -> int:
    """Return how many reads of ``upstream`` (a dataset or column id) ``event`` is: 2 when it reads that
    dataset both at a Time Travel point and as it is at the statement (``read_points`` holds the point
    and ``event.at``: ``parsing.time_travel.with_reads_now``), else 1. A new interval counts them as
    its observations, so the walk reads the hull from the point to the statement, not the point alone."""
    dataset = dataset_of(upstream)
    instants = {p for s, p in event.read_points if s == upstream or s == dataset}
    return 2 if len(instants) > 1 and event.at in instants else 1


def observed(row: EdgeRow, event: LineageEvent, via: tuple[str, ...]) -> EdgeRow:
    """Return ``row`` observed again by ``event``: ``last_seen``, the count and the statement move
    only for an event newer than ``last_seen``; the ``via`` sets are merged either way, and
    ``first_seen`` moves back to :func:`first_seen` of the event when that is earlier."""
    earliest = first_seen(event, row.upstream)
    if (event.via_since is not None or event.read_points) and earliest < row.first_seen:
        row = replace(row, first_seen=earliest)  # only a copy out of a temp filled earlier, or a Time Travel read
    if event.at > row.last_seen:
        row = replace(row, last_seen=event.at, observations=row.observations + 1, last_query_id=event.query_id,
                      query_type=event.query_type, provenance=event.provenance)
    merged_via = tuple(sorted(set(row.via) | set(via)))
    return row if merged_via == row.via else replace(row, via=merged_via)


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
