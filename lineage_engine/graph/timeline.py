"""Fold lineage events into temporal ``DERIVES_FROM`` writes (design §6). Pure: no I/O.

The store reads the current state of the datasets a batch touches (:class:`NodeState`
and the *open* incoming intervals as :class:`~lineage_engine.model.EdgeRow`), calls
:func:`fold_events`, and writes the returned :class:`TimelinePlan` in one transaction.

Interval model (one relationship per interval): an interval is keyed by
``(downstream, upstream, valid_from)`` and ``valid_to`` is None while it is open. An edge
that closes and later reopens gets a second relationship with its own ``valid_from``;
as-of reads test one relationship (``valid_from <= t < coalesce(valid_to, +inf)``) and so
stay exact on both backends without list properties. Contiguous intervals are coalesced:
a replace that re-derives an upstream keeps its open interval, and a close immediately
followed (same instant, same batch) by a re-add undoes the close.

Replays. Each dataset records the keyset position ``(at, query_id)`` of the last event
applied to it as a target (``last_event_at``, ``last_event_query_id``). An event whose
position is at or before that of its target (or RENAME/SWAP counterpart) was already
applied and is skipped, so re-running a batch, or an overlapping one, changes nothing.
This assumes batches arrive in keyset order, as the crawler's watermark delivers them; an
event older than what is stored for its target (a late backfill) is skipped, not merged
into the past. Within a batch events apply strictly in the given order, and an interval's
``observations`` counts only events newer than its ``last_seen``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from lineage_engine.model import EdgeRow, LineageEvent, MergeReport, Operation


@dataclass(frozen=True, slots=True)
class NodeState:
    """Stored facts about one Dataset node that the fold needs (times UTC)."""

    id: str
    name: str | None = None
    kind: str | None = None
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    dropped_at: datetime | None = None
    last_event_at: datetime | None = None
    last_event_query_id: str | None = None


@dataclass(frozen=True, slots=True)
class NodeWrite:
    """Final values for a Dataset node touched by the batch (``namespace``: the database).

    ``name`` / ``kind`` are None when the batch has nothing authoritative to say (the
    dataset exists and was only read): the store keeps its values.
    """

    id: str
    name: str | None
    kind: str | None
    namespace: str
    first_seen: datetime
    last_seen: datetime


@dataclass(frozen=True, slots=True)
class TimelinePlan:
    """Everything one batch writes; apply in this order: nodes, marks, drops, upserts, closes.

    Attributes:
        nodes: datasets named by the batch that are new or whose values change, by id.
        marks: ``(id, at, query_id)``: new last-applied event position per changed dataset.
        drops: ``(id, dropped_at)`` to set; ``revived``: ids whose ``dropped_at`` clears.
        upserts: intervals to create or update, all properties except ``valid_to`` (an
            upsert writes ``valid_to = null``; ``closes`` then set it).
        closes: intervals whose ``valid_to`` becomes set, ``valid_to`` filled in.
        report: what the batch changed; ``skipped``: events recognised as already applied.
    """

    nodes: tuple[NodeWrite, ...] = ()
    marks: tuple[tuple[str, datetime, str], ...] = ()
    drops: tuple[tuple[str, datetime], ...] = ()
    revived: tuple[str, ...] = ()
    upserts: tuple[EdgeRow, ...] = ()
    closes: tuple[EdgeRow, ...] = ()
    report: MergeReport = field(default_factory=MergeReport)
    skipped: int = 0


_STRUCTURAL = frozenset({Operation.DROP, Operation.RENAME, Operation.SWAP})
_DEFINING = frozenset({Operation.CREATE, Operation.REPLACE, Operation.VIEW, Operation.CLONE,
                       Operation.RENAME, Operation.SWAP})
"""Operations whose statement states the target's kind (CREATE VIEW, ALTER TABLE ...)."""


@dataclass(frozen=True, slots=True)
class Reads:
    """What the fold needs read from the store before it runs, all sorted.

    Attributes:
        named: every dataset id an event names (their :class:`NodeState`).
        full: datasets whose *every* open incoming interval matters: targets and
            counterparts of replacing, DROP, RENAME and SWAP events.
        pairs: ``(downstream, upstream)`` of add-only events outside ``full``: only that
            one open interval matters (an INSERT never touches the target's other edges).
    """

    named: tuple[str, ...]
    full: tuple[str, ...]
    pairs: tuple[tuple[str, str], ...]


def reads_for(events: list[LineageEvent] | tuple[LineageEvent, ...]) -> Reads:
    """Return the state :func:`fold_events` needs for ``events``."""
    named: set[str] = set()
    full: set[str] = set()
    pairs: set[tuple[str, str]] = set()
    for event in events:
        named.add(event.target.id)
        named.update(source.id for source in event.sources)
        if event.counterpart is not None:
            named.add(event.counterpart.id)
        if event.replaces or event.operation in _STRUCTURAL:
            full.add(event.target.id)
            if event.counterpart is not None:
                full.add(event.counterpart.id)
        else:
            pairs.update((event.target.id, source.id) for source in event.sources)
    return Reads(tuple(sorted(named)), tuple(sorted(full)),
                 tuple(sorted(p for p in pairs if p[0] not in full and p[0] != p[1])))


def namespace_of(dataset_id: str) -> str:
    """Return the database part of a dataset id (``@db.schema.stage`` -> ``db``)."""
    return dataset_id.lstrip("@").split(".", 1)[0]


class _Interval:
    """A mutable working copy of one interval during the fold."""

    __slots__ = ("row", "stored", "stored_open", "dirty")

    def __init__(self, row: EdgeRow, *, stored: bool) -> None:
        self.row = row
        self.stored = stored
        self.stored_open = stored and row.valid_to is None
        self.dirty = not stored


class _Fold:
    def __init__(self, nodes: dict[str, NodeState], open_intervals: list[EdgeRow]) -> None:
        self.nodes = nodes
        self.open: dict[str, dict[str, _Interval]] = {}
        self.all: dict[tuple[str, str, datetime], _Interval] = {}
        self.closed_here: dict[tuple[str, str], _Interval] = {}
        for row in open_intervals:
            if row.valid_to is None and row.downstream != row.upstream:
                self._track(_Interval(row, stored=True))
        self.dropped = {i: n.dropped_at for i, n in nodes.items()}
        self.marks: dict[str, tuple[datetime, str]] = {}

    def _track(self, interval: _Interval) -> None:
        self.all[_key(interval.row)] = interval
        self.open.setdefault(interval.row.downstream, {})[interval.row.upstream] = interval

    def stale(self, event: LineageEvent) -> bool:
        position = (event.at, event.query_id)
        for dataset_id in (event.target.id, event.counterpart.id if event.counterpart else None):
            node = self.nodes.get(dataset_id) if dataset_id else None
            if node is not None and node.last_event_at is not None:
                if position <= (node.last_event_at, node.last_event_query_id or ""):
                    return True
        return False

    def mark(self, dataset_id: str, event: LineageEvent, *, revive: bool) -> None:
        position = (event.at, event.query_id)
        if dataset_id not in self.marks or position > self.marks[dataset_id]:
            self.marks[dataset_id] = position
        if revive and self.dropped.get(dataset_id) is not None:
            self.dropped[dataset_id] = None

    def add(self, downstream: str, upstream: str, event: LineageEvent, via: tuple[str, ...]) -> None:
        if downstream == upstream:
            return
        current = self.open.setdefault(downstream, {}).get(upstream)
        if current is None:
            current = self._reopen(downstream, upstream, event.at)
        if current is None:
            row = EdgeRow(downstream, upstream, event.at, None, event.at, event.at, 1,
                          event.query_id, event.query_type, tuple(sorted(set(via))), event.provenance)
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

    def _reopen(self, downstream: str, upstream: str, at: datetime) -> _Interval | None:
        """Undo a close made by this batch at the same instant (contiguous intervals)."""
        interval = self.closed_here.get((downstream, upstream))
        if interval is None or interval.row.valid_to != at:
            return None
        del self.closed_here[(downstream, upstream)]
        interval.row = replace(interval.row, valid_to=None)
        self.open[downstream][upstream] = interval
        return interval

    def close(self, downstream: str, upstream: str, at: datetime) -> None:
        interval = self.open[downstream].pop(upstream)
        if not interval.stored and interval.row.valid_from == at:
            del self.all[_key(interval.row)]  # opened and closed at one instant: never valid
            return
        interval.row = replace(interval.row, valid_to=at)
        self.closed_here[(downstream, upstream)] = interval

    def replace_with(self, downstream: str, upstreams: dict[str, tuple[str, ...]], event: LineageEvent) -> None:
        for upstream in list(self.open.get(downstream, {})):
            if upstream not in upstreams:
                self.close(downstream, upstream, event.at)
        for upstream, via in upstreams.items():
            self.add(downstream, upstream, event, via)

    def open_set(self, dataset_id: str) -> dict[str, tuple[str, ...]]:
        return {u: i.row.via for u, i in self.open.get(dataset_id, {}).items()}

    def apply(self, event: LineageEvent) -> None:
        target = event.target.id
        other = event.counterpart.id if event.counterpart is not None else None
        if event.operation is Operation.DROP:
            for upstream in list(self.open.get(target, {})):
                self.close(target, upstream, event.at)
            self.dropped[target] = event.at
            self.mark(target, event, revive=False)
        elif event.operation is Operation.RENAME and other is not None:
            moved = {u: tuple(sorted(set(v) | set(event.via))) for u, v in self.open_set(target).items()}
            self.replace_with(target, {}, event)
            self.dropped[target] = event.at
            self.mark(target, event, revive=False)
            moved.pop(other, None)
            self.replace_with(other, moved, event)
            self.mark(other, event, revive=True)
        elif event.operation is Operation.SWAP and other is not None:
            mine, theirs = self.open_set(target), self.open_set(other)
            self.replace_with(target, _swapped(theirs, mine, target), event)
            self.replace_with(other, _swapped(mine, theirs, other), event)
            self.mark(target, event, revive=True)
            self.mark(other, event, revive=True)
        else:
            upstreams = {s.id: event.via for s in event.sources if s.id != target}
            if event.replaces:
                self.replace_with(target, upstreams, event)
            else:
                for upstream, via in upstreams.items():
                    self.add(target, upstream, event, via)
            self.mark(target, event, revive=True)


def _swapped(incoming: dict[str, tuple[str, ...]], own: dict[str, tuple[str, ...]], side: str) -> dict[str, tuple[str, ...]]:
    """Upstreams ``side`` gets in a swap: the other side's, with ``side`` replaced by its own."""
    result = {u: v for u, v in incoming.items() if u != side}
    if side in incoming:
        for upstream, via in own.items():
            result.setdefault(upstream, via)
    result.pop(side, None)
    return result


def fold_events(
    events: list[LineageEvent] | tuple[LineageEvent, ...],
    nodes: dict[str, NodeState],
    open_intervals: list[EdgeRow],
) -> TimelinePlan:
    """Fold ``events``, in order, over the stored state into the writes that realise them.

    Args:
        events: lineage events in keyset order ``(at, query_id)``; datetimes aware UTC.
        nodes: stored state of every dataset in ``reads_for(events).named`` that exists;
            missing ids are new datasets.
        open_intervals: the stored *open* incoming intervals of ``reads_for(events).full``
            and the open intervals of ``reads_for(events).pairs``.

    Returns:
        The plan; applying it to the store makes the store equal to the folded state.
        Folding the same events again over the resulting state yields an empty plan
        (apart from node rows, which rewrite the same values).
    """
    fold = _Fold(nodes, open_intervals)
    seen: dict[str, NodeWrite] = {}
    skipped = 0
    for event in events:
        stale = fold.stale(event)
        describes = not stale and event.operation in _DEFINING
        _note_node(seen, nodes, event.target.id, event.target.name, event.target.kind, event.at, describes)
        for ref in event.sources:
            _note_node(seen, nodes, ref.id, ref.name, ref.kind, event.at, False)
        if event.counterpart is not None:
            ref = event.counterpart
            _note_node(seen, nodes, ref.id, ref.name, ref.kind, event.at, describes)
        if stale:
            skipped += 1
            continue
        fold.apply(event)

    intervals = list(fold.all.values())
    upserts = [i.row for i in intervals if i.dirty]
    closes = [i.row for i in intervals if i.row.valid_to is not None and (not i.stored or i.stored_open)]
    report = MergeReport(
        datasets_created=sum(1 for i in seen if i not in nodes),
        edges_created=sum(1 for i in intervals if not i.stored),
        edges_updated=sum(1 for i in intervals if i.stored and i.dirty),
        edges_closed=len(closes),
    )
    changed_drop = {i: d for i, d in fold.dropped.items() if nodes.get(i, NodeState(i)).dropped_at != d}
    return TimelinePlan(
        nodes=tuple(seen[i] for i in sorted(seen) if _changes(seen[i], nodes.get(i))),
        marks=tuple((i, at, q) for i, (at, q) in sorted(fold.marks.items())),
        drops=tuple(sorted((i, d) for i, d in changed_drop.items() if d is not None)),
        revived=tuple(sorted(i for i, d in changed_drop.items() if d is None)),
        upserts=tuple(sorted(upserts, key=_key)),
        closes=tuple(sorted(closes, key=_key)),
        report=report,
        skipped=skipped,
    )


def _changes(write: NodeWrite, stored: NodeState | None) -> bool:
    if stored is None:
        return True
    return (write.first_seen, write.last_seen) != (stored.first_seen, stored.last_seen) \
        or (write.name is not None and write.name != stored.name) \
        or (write.kind is not None and write.kind != stored.kind)


def _key(row: EdgeRow) -> tuple[str, str, datetime]:
    return (row.downstream, row.upstream, row.valid_from)


def _note_node(seen: dict[str, NodeWrite], nodes: dict[str, NodeState], dataset_id: str,
               name: str, kind: str, at: datetime, describes: bool) -> None:
    """Track a mention; name/kind come from defining statements, or any mention of a new node.

    A source mention, or the target of INSERT/MERGE/COPY, cannot know a dataset's kind (a
    view read in a FROM clause looks like a table), so it never overwrites what a defining
    statement (CREATE, CREATE VIEW, CLONE, RENAME, SWAP) or the store says.
    """
    previous = seen.get(dataset_id)
    stored = nodes.get(dataset_id)
    if previous is None:
        first = min(at, stored.first_seen) if stored and stored.first_seen else at
        last = max(at, stored.last_seen) if stored and stored.last_seen else at
        keep_name, keep_kind = (None, None) if stored else (name, kind)
    else:
        first, last = min(at, previous.first_seen), max(at, previous.last_seen)
        keep_name, keep_kind = previous.name, previous.kind
    if describes:
        keep_name, keep_kind = name, kind
    seen[dataset_id] = NodeWrite(dataset_id, keep_name, keep_kind, namespace_of(dataset_id), first, last)
