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

Replays and late events. Each dataset records the keyset position ``(at, query_id)`` of the
last event applied to it as a target (``last_event_at``, ``last_event_query_id``). An event
at or before that position (stored, or of an earlier event of the batch: strictly before,
since one statement's events share its position) is *late*: a row read again (a replay), or
one that ended before a row already read (a file out of END_TIME order). A late event is
folded by :meth:`~lineage_engine.graph.intervals.Intervals.apply_late` against every stored
interval of its datasets and their *resets* (``resets``: the positions of the last
:data:`RESET_HISTORY` replaces, DROPs, RENAMEs and SWAPs of each dataset): what it derives
is present from its instant to the dataset's next reset (and, when that reset was a move,
a RENAME or SWAP whose destination the list records, at the destination from the move on:
:func:`late_reads`), and what it resets is closed at its instant when nothing observed it since. Applied once or again, the result is the same, and it
does not depend on where the batches cut; what cannot be applied exactly is kept (a
superset) and counted (``MergeReport.events_inexact``). Events in order apply strictly in the
given order, and an interval's ``observations`` counts only events newer than its
``last_seen``. Lanes other than the query history have no positions: they never take the
late path (:mod:`.lanes`).

Column edges (issue 5) fold with the same code and the same events
(:mod:`.intervals`): a column interval is keyed by ``(downstream, upstream, kind,
valid_from)``; a replace closes every open edge into the target's columns that it does not
re-derive, DROP closes them, RENAME moves them to the new name's columns, SWAP exchanges
them. Column nodes are written for the endpoints of new column intervals.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone

from lineage_engine.graph.intervals import (
    MAX_CARRIES,
    Intervals,
    column_group,
    column_wants,
    dataset_group,
    dataset_wants,
)
from lineage_engine.model import ColumnRef, EdgeRow, LineageEvent, MergeReport, Operation


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
class ColumnWrite:
    """A Column node to create (idempotently) with its ``HAS_COLUMN`` from its dataset."""

    id: str
    dataset_id: str
    name: str


@dataclass(frozen=True, slots=True)
class TimelinePlan:
    """Everything one batch writes; apply in this order: nodes, marks, resets, drops, moved_back,
    upserts, closes, then columns, column_moved_back, column creates, column updates, column
    transforms, column closes.

    Attributes:
        nodes: datasets named by the batch that are new or whose values change, by id.
        marks: ``(id, at, query_id)``: new last-applied event position per changed dataset.
        drops: ``(id, dropped_at)`` to set; ``revived``: ids whose ``dropped_at`` clears.
        upserts: intervals to create or update, all properties except ``valid_to`` (an
            upsert writes ``valid_to = null``; ``closes`` then set it).
        edge_creates: those of ``upserts`` not stored before (new intervals).
        closes: intervals whose ``valid_to`` becomes set, ``valid_to`` filled in.
        columns: Column nodes at the ends of new column intervals, by id.
        column_creates, column_updates: column intervals to create, and stored (open) ones
            re-observed or given more ``via`` (``column_via``: those whose ``via`` grew).
        column_closes: as ``closes``, for column edges.
        resets: ``(id, positions)``: the new ``resets`` list (:func:`encode_reset` strings,
            oldest first, at most :data:`RESET_HISTORY`) of each dataset a reset changed.
        column_transforms: stored column intervals whose transform a late event raised.
        moved_back, column_moved_back: ``(row, stored valid_from)`` of stored intervals a late
            event extended back to ``row.valid_from``; written first (later writes use the new key).
        report: what the batch changed; ``skipped``: events recognised as already applied.
    """

    nodes: tuple[NodeWrite, ...] = ()
    marks: tuple[tuple[str, datetime, str], ...] = ()
    drops: tuple[tuple[str, datetime], ...] = ()
    revived: tuple[str, ...] = ()
    upserts: tuple[EdgeRow, ...] = ()
    edge_creates: tuple[EdgeRow, ...] = ()
    closes: tuple[EdgeRow, ...] = ()
    columns: tuple[ColumnWrite, ...] = ()
    column_creates: tuple[EdgeRow, ...] = ()
    column_updates: tuple[EdgeRow, ...] = ()
    column_via: tuple[EdgeRow, ...] = ()
    column_closes: tuple[EdgeRow, ...] = ()
    resets: tuple[tuple[str, tuple[str, ...]], ...] = ()
    column_transforms: tuple[EdgeRow, ...] = ()
    moved_back: tuple[tuple[EdgeRow, datetime], ...] = ()
    column_moved_back: tuple[tuple[EdgeRow, datetime], ...] = ()
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
            counterparts of replacing, DROP, RENAME and SWAP events (for column edges:
            every open interval into any of their columns).
        pairs: ``(downstream, upstream)`` of add-only events outside ``full``: only that
            one open interval matters (an INSERT never touches the target's other edges).
        column_targets: datasets whose open incoming column intervals (into any of their
            columns) the fold reads: every target and counterpart. Reading a dataset's
            column edges at once measured cheaper than one lookup per column pair on the
            embedded engine; the add-only events still touch only the pairs they name.
    """

    named: tuple[str, ...]
    full: tuple[str, ...]
    pairs: tuple[tuple[str, str], ...]
    column_targets: tuple[str, ...] = ()


def reads_for(events: list[LineageEvent] | tuple[LineageEvent, ...]) -> Reads:
    """Return the state :func:`fold_events` needs for ``events``."""
    named: set[str] = set()
    full: set[str] = set()
    pairs: set[tuple[str, str]] = set()
    column_targets: set[str] = set()
    for event in events:
        named.add(event.target.id)
        named.update(source.id for source in event.sources)
        if event.columns or event.replaces or event.overwrites or event.column_moves or event.operation in _STRUCTURAL:
            column_targets.add(event.target.id)
            if event.counterpart is not None:
                column_targets.add(event.counterpart.id)
        if event.counterpart is not None:
            named.add(event.counterpart.id)
        if event.replaces or event.operation in _STRUCTURAL:
            full.add(event.target.id)
            if event.counterpart is not None:
                full.add(event.counterpart.id)
        else:
            pairs.update((event.target.id, source.id) for source in event.sources)
    return Reads(tuple(sorted(named)), tuple(sorted(full)),
                 tuple(sorted(p for p in pairs if p[0] not in full and p[0] != p[1])),
                 tuple(sorted(column_targets)))


RESET_HISTORY = 64
"""Resets (replace, DROP, RENAME, SWAP) remembered per dataset for late events. A late event
older than the oldest of a full list ends its edges at that one: later than the true next
reset, perhaps (a superset), and counted inexact."""

Position = tuple[datetime, str]
"""A keyset position ``(at, query_id)``; ``at`` aware UTC."""


MOVE_MARK = "\x1f"
"""Separates a reset position from the move it was (:func:`encode_reset`): a query id never holds a
control character (sources/rows.py rejects the row)."""


@dataclass(frozen=True, slots=True)
class Move:
    """A reset that moved the dataset's content to another name: a RENAME (``swap`` False: the
    dataset's content now lives at ``destination``) or a SWAP (``swap`` True: the two exchange)."""

    destination: str
    swap: bool


def encode_position(position: Position) -> str:
    """Return ``position`` as a string that sorts like it (``2026-05-04T10:00:00.000000Z|q1``)."""
    at, query_id = position
    return at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ") + "|" + query_id


def decode_position(text: str) -> Position:
    """Return the position :func:`encode_position` (or :func:`encode_reset`) wrote. Raises ValueError on other text."""
    return decode_reset(text)[0]


def encode_reset(position: Position, move: Move | None) -> str:
    """Return a ``resets`` entry: the position, then for a move ``<US>RENAME|<US>SWAP`` and the destination."""
    text = encode_position(position)
    if move is None:
        return text
    return f"{text}{MOVE_MARK}{'SWAP' if move.swap else 'RENAME'}{MOVE_MARK}{move.destination}"


def decode_reset(text: str) -> tuple[Position, Move | None]:
    """Return what :func:`encode_reset` wrote (entries written before moves were recorded: no move)."""
    head, _, move = text.partition(MOVE_MARK)
    stamp, _, query_id = head.partition("|")
    position = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc), query_id
    if not move:
        return position, None
    kind, _, destination = move.partition(MOVE_MARK)
    return position, Move(destination, kind == "SWAP")


def resets_of(event: LineageEvent) -> tuple[str, ...]:
    """Return the datasets whose content ``event`` resets (what :class:`Intervals` closes for it).

    A replace that does not read its target, TRUNCATE, DROP: the target; RENAME: both names;
    SWAP: both sides. An add (INSERT, MERGE, a replace reading its target) resets nothing.
    """
    other = event.counterpart.id if event.counterpart is not None else None
    if event.operation is Operation.DROP:
        return (event.target.id,)
    if event.operation in (Operation.RENAME, Operation.SWAP) and other is not None:
        return (event.target.id, other)
    if event.replaces and not any(s.id == event.target.id for s in event.sources):
        return (event.target.id,)
    return ()


def moves_of(event: LineageEvent) -> dict[str, Move]:
    """Return the datasets whose content ``event`` moves, with where it goes: RENAME moves the
    target's to the new name (the new name's own content ends), SWAP exchanges both sides."""
    other = event.counterpart.id if event.counterpart is not None else None
    if other is None or other == event.target.id:
        return {}
    if event.operation is Operation.RENAME:
        return {event.target.id: Move(other, False)}
    if event.operation is Operation.SWAP:
        return {event.target.id: Move(other, True), other: Move(event.target.id, True)}
    return {}


def late_datasets(events: Sequence[LineageEvent], nodes: Mapping[str, NodeState]) -> tuple[str, ...]:
    """Return the targets and counterparts of the events :func:`fold_events` will find late, sorted.

    The store reads every interval into them (open and closed, dataset and column) and their
    ``resets`` before the fold (see the module doc); and then, through :func:`late_reads`,
    those of the datasets their content moved to later.
    """
    return tuple(sorted({i for _, event in _late_events(events, nodes) for i in _ends(event)}))


def _late_events(events: Sequence[LineageEvent], nodes: Mapping[str, NodeState]) -> list[tuple[int, LineageEvent]]:
    marks = _Marks(dict(nodes))
    late = []
    for n, event in enumerate(events):
        if marks.late(event):
            late.append((n, event))
            marks.apply_late(event)
        else:
            marks.apply(event)
    return late


def restored_points(event: LineageEvent) -> tuple[datetime, ...]:
    """Return the Time Travel points at which ``event`` reads its own target (a restore), sorted."""
    return tuple(sorted(p for s, p in event.read_points if s == event.target.id))


def late_reads(events: Sequence[LineageEvent], nodes: Mapping[str, NodeState],
               read_resets: Callable[[Sequence[str]], Mapping[str, Sequence[str]]]) -> tuple[tuple[str, ...], dict[str, list[str]]]:
    """Return the datasets whose whole interval history the fold of ``events`` needs, and the
    stored ``resets`` it needs, read with ``read_resets(ids)`` (it returns the lists of the ids that have one).

    Those are the late events' targets and counterparts (:func:`late_datasets`) and every
    dataset their content reached through a later move (a RENAME or SWAP after the late event,
    stored or earlier in the batch; then the moves of that dataset after that one, ...): a
    late INSERT into ``s`` before ``alter table s rename to fin`` is carried into ``fin``.
    The resets are read for those and for every dataset an event resets. Only the datasets a
    late event touches are read, and the destinations of their moves, a few at a time.
    """
    late_events = _late_events(events, nodes)
    restoring = {event.target.id for event in events if restored_points(event)}  # Intervals.restore
    history = {i for _, event in late_events for i in _ends(event)}
    resets: dict[str, list[str]] = {}
    read: set[str] = set()
    wanted = history | {i for event in events for i in resets_of(event)}
    while True:
        missing = sorted(wanted - read)
        if missing:
            resets.update({i: list(v) for i, v in read_resets(missing).items()})
            read.update(missing)
        if not late_events:  # in order: nothing is carried (the common case costs one read, as before)
            return tuple(sorted(restoring)), resets
        lists = _Resets(resets)
        for event in events:
            lists.add(event)
        reached: set[str] = set()
        for _, event in late_events:
            for start in _ends(event):
                group, after = start, (event.at, event.query_id)
                for _ in range(MAX_CARRIES):
                    position, move, _ = lists.next_reset(group, after)
                    if position is None or move is None:
                        break
                    reached.add(move.destination)
                    group, after = move.destination, position
        if reached <= history:
            return tuple(sorted(history | restoring)), resets
        history |= reached
        wanted |= reached


def _ends(event: LineageEvent) -> tuple[str, ...]:
    return (event.target.id,) if event.counterpart is None else (event.target.id, event.counterpart.id)


class _Resets:
    """The reset positions of the datasets a batch touches, stored and new (:data:`RESET_HISTORY`),
    and which of them were moves (and to where)."""

    def __init__(self, stored: Mapping[str, Sequence[str]]) -> None:
        self.lists: dict[str, list[Position]] = {}
        self.moves: dict[str, dict[Position, Move]] = {}
        for dataset_id, texts in stored.items():
            decoded = [decode_reset(t) for t in texts]
            self.lists[dataset_id] = sorted(p for p, _ in decoded)
            self.moves[dataset_id] = {p: m for p, m in decoded if m is not None}
        self.changed: set[str] = set()

    def add(self, event: LineageEvent) -> None:
        position = (event.at, event.query_id)
        moves = moves_of(event)
        for dataset_id in resets_of(event):
            positions = self.lists.setdefault(dataset_id, [])
            move = moves.get(dataset_id)
            known = self.moves.setdefault(dataset_id, {})
            if position in positions:
                if move is not None and known.get(position) != move:  # stored before moves were recorded
                    known[position] = move
                    self.changed.add(dataset_id)
                continue
            positions.append(position)
            positions.sort()
            del positions[:-RESET_HISTORY]
            if move is not None:
                known[position] = move
            for forgotten in [p for p in known if p < positions[0]]:
                del known[forgotten]
            self.changed.add(dataset_id)

    def next_reset(self, dataset_id: str, position: Position) -> tuple[Position | None, Move | None, bool]:
        """Return the dataset's first reset after ``position`` (None: none known), the move it
        was (None: not a move), and False when an older reset may have been forgotten (the list
        is full and starts later)."""
        positions = self.lists.get(dataset_id, [])
        after = next((p for p in positions if p > position), None)
        exact = not (len(positions) >= RESET_HISTORY and positions[0] > position)
        move = self.moves.get(dataset_id, {}).get(after) if after is not None else None
        return after, move, exact

    def writes(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        return tuple((i, tuple(encode_reset(p, self.moves.get(i, {}).get(p)) for p in self.lists[i]))
                     for i in sorted(self.changed))


def namespace_of(dataset_id: str) -> str:
    """Return the database part of a dataset id (``@db.schema.stage`` -> ``db``); an external
    location is its own namespace (``s3://bucket``)."""
    if "://" in dataset_id:
        return dataset_id
    return dataset_id.lstrip("@").split(".", 1)[0]


class _Marks:
    """Per-dataset replay positions and drop times while a batch is folded."""

    def __init__(self, nodes: dict[str, NodeState]) -> None:
        self.nodes = nodes
        self.dropped = {i: n.dropped_at for i, n in nodes.items()}
        self.marks: dict[str, tuple[datetime, str]] = {}

    def late(self, event: LineageEvent) -> bool:
        """Return True when ``event`` is at or before its target's (or counterpart's) stored
        position, or before a position an earlier event of the batch set."""
        return any(self.late_for(i, event) for i in _ends(event))

    def late_for(self, dataset_id: str, event: LineageEvent) -> bool:
        position = (event.at, event.query_id)
        node = self.nodes.get(dataset_id)
        if node is not None and node.last_event_at is not None \
                and position <= (node.last_event_at, node.last_event_query_id or ""):
            return True
        return dataset_id in self.marks and position < self.marks[dataset_id]

    def apply_late(self, event: LineageEvent) -> None:
        """As :meth:`apply` for a late event: drop times change only on datasets it is not late for."""
        dropped = dict(self.dropped)
        keep = {i for i in _ends(event) if self.late_for(i, event)}
        self.apply(event)
        for dataset_id in keep:
            if dataset_id in dropped:
                self.dropped[dataset_id] = dropped[dataset_id]
            else:
                self.dropped.pop(dataset_id, None)

    def mark(self, dataset_id: str, event: LineageEvent, *, revive: bool) -> None:
        position = (event.at, event.query_id)
        node = self.nodes.get(dataset_id)
        stored = (node.last_event_at, node.last_event_query_id or "") \
            if node is not None and node.last_event_at is not None else None
        if (stored is None or position > stored) and (dataset_id not in self.marks or position > self.marks[dataset_id]):
            self.marks[dataset_id] = position
        if revive and self.dropped.get(dataset_id) is not None:
            self.dropped[dataset_id] = None

    def apply(self, event: LineageEvent) -> None:
        target = event.target.id
        other = event.counterpart.id if event.counterpart is not None else None
        if event.operation is Operation.DROP:
            self.dropped[target] = event.at
            self.mark(target, event, revive=False)
        elif event.operation is Operation.RENAME and other is not None:
            self.dropped[target] = event.at
            self.mark(target, event, revive=False)
            self.mark(other, event, revive=True)
        elif event.operation is Operation.SWAP and other is not None:
            self.mark(target, event, revive=True)
            self.mark(other, event, revive=True)
        elif event.operation is Operation.TRUNCATE:  # TRUNCATE IF EXISTS of a dropped table creates nothing
            self.mark(target, event, revive=False)
        else:
            self.mark(target, event, revive=True)


def fold_events(
    events: list[LineageEvent] | tuple[LineageEvent, ...],
    nodes: dict[str, NodeState],
    open_intervals: list[EdgeRow],
    open_column_intervals: list[EdgeRow] | tuple[EdgeRow, ...] = (),
    *,
    history: Sequence[EdgeRow] = (),
    column_history: Sequence[EdgeRow] = (),
    resets: Mapping[str, Sequence[str]] | None = None,
    ordered: bool = True,
) -> TimelinePlan:
    """Fold ``events``, in order, over the stored state into the writes that realise them.

    Args:
        events: lineage events in keyset order ``(at, query_id)``; datetimes aware UTC.
        nodes: stored state of every dataset in ``reads_for(events).named`` that exists;
            missing ids are new datasets.
        open_intervals: the stored *open* incoming intervals of ``reads_for(events).full``
            and the open intervals of ``reads_for(events).pairs``.
        open_column_intervals: the stored open intervals into any column of
            ``reads_for(events).column_targets``.
        history, column_history: every stored interval (open and closed) into the
            datasets :func:`late_reads` names (for columns: into any of their columns).
        resets: the stored ``resets`` lists :func:`late_reads` returns (missing: none stored).
        ordered: False for lanes without replay positions (:mod:`.lanes`): no event is late.

    Returns:
        The plan; applying it to the store makes the store equal to the folded state.
        Folding the same events again over the resulting state yields an empty plan
        (apart from node rows, which rewrite the same values).
    """
    marks = _Marks(nodes)
    datasets = Intervals(open_intervals, dataset_group, history=history)
    columns = Intervals(open_column_intervals, column_group, inside=True, history=column_history)
    reset_lists = _Resets(resets or {})
    seen: dict[str, NodeWrite] = {}
    skipped = late_merged = inexact = 0
    for event in events:
        stale = ordered and marks.late(event)
        describes = not stale and event.operation in _DEFINING
        _note_node(seen, nodes, event.target.id, event.target.name, event.target.kind, event.at, describes)
        for ref in event.sources:
            _note_node(seen, nodes, ref.id, ref.name, ref.kind, event.at, False)
        if event.counterpart is not None:
            ref = event.counterpart
            _note_node(seen, nodes, ref.id, ref.name, ref.kind, event.at, describes)
        if stale:
            changed, exact = _apply_late(event, datasets, columns, reset_lists)
            marks.apply_late(event)
            reset_lists.add(event)
            if not exact:
                inexact += 1
            elif changed:
                late_merged += 1
            else:
                skipped += 1
            continue
        datasets.apply(event, dataset_wants(event))
        columns.apply(event, column_wants(event))
        for point in restored_points(event):  # a table read at its own earlier point gets that content back
            datasets.restore(event.target.id, point, event)
            columns.restore(event.target.id, point, event)
        marks.apply(event)
        reset_lists.add(event)

    dataset_changes, column_changes = datasets.results(), columns.results()
    report = MergeReport(
        datasets_created=sum(1 for i in seen if i not in nodes),
        edges_created=len(dataset_changes.created),
        edges_updated=len(dataset_changes.updated),
        edges_closed=len(dataset_changes.closes),
        column_edges_created=len(column_changes.created),
        column_edges_updated=len(column_changes.updated),
        column_edges_closed=len(column_changes.closes),
        events_skipped=skipped,
        events_late=late_merged,
        events_inexact=inexact,
    )
    changed_drop = {i: d for i, d in marks.dropped.items() if nodes.get(i, NodeState(i)).dropped_at != d}
    new_columns = {i for r in column_changes.created for i in (r.downstream, r.upstream)}
    return TimelinePlan(
        nodes=tuple(seen[i] for i in sorted(seen) if _changes(seen[i], nodes.get(i))),
        marks=tuple((i, at, q) for i, (at, q) in sorted(marks.marks.items())),
        drops=tuple(sorted((i, d) for i, d in changed_drop.items() if d is not None)),
        revived=tuple(sorted(i for i, d in changed_drop.items() if d is None)),
        upserts=tuple(dataset_changes.upserts),
        edge_creates=tuple(dataset_changes.created),
        closes=tuple(dataset_changes.closes),
        columns=tuple(ColumnWrite(i, column_group(i), ColumnRef.parse(i).name) for i in sorted(new_columns)),
        column_creates=tuple(column_changes.created),
        column_updates=tuple(column_changes.updated),
        column_via=tuple(column_changes.via_grown),
        column_closes=tuple(column_changes.closes),
        resets=reset_lists.writes(),
        column_transforms=tuple(column_changes.transformed),
        moved_back=tuple(dataset_changes.moved_back),
        column_moved_back=tuple(column_changes.moved_back),
        report=report,
        skipped=skipped,
    )


def _apply_late(event: LineageEvent, datasets: Intervals, columns: Intervals, resets: _Resets) -> tuple[bool, bool]:
    """Fold a late event into both families; return ``(changed, exact)`` (see ``Intervals.apply_late``)."""
    known = True

    def next_reset(group: str, after: Position) -> tuple[Position | None, tuple[str, bool] | None]:
        nonlocal known
        position, move, exact = resets.next_reset(group, after)
        known = known and exact
        return position, (move.destination, move.swap) if move is not None else None

    changed_d, exact_d = datasets.apply_late(event, dataset_wants(event), next_reset)
    changed_c, exact_c = columns.apply_late(event, column_wants(event), next_reset)
    return changed_d or changed_c, exact_d and exact_c and known


def _changes(write: NodeWrite, stored: NodeState | None) -> bool:
    if stored is None:
        return True
    return (write.first_seen, write.last_seen) != (stored.first_seen, stored.last_seen) \
        or (write.name is not None and write.name != stored.name) \
        or (write.kind is not None and write.kind != stored.kind)


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
