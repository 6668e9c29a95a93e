"""Rows of a session read out of ``END_TIME`` order, through its temporary objects (README "Late rows").

A session resolver applies rows in the order read. When a file is not in ``END_TIME`` order (or a
crawl reads a row its previous crawl did not have), a row may come after rows of its session that
ended after it. Three things keep that from losing a path (review s14 R11):

* **Remembered reads.** Each session remembers, per name read (a persistent object, or one of its
  temps), the latest :data:`READS_PER_NAME` statements that read it, with their target and column
  edges out of it (:meth:`LateRows._note_reads`). A write into a temp by a row that ended before
  such a reader (the temp's creation, or an ``INSERT`` into it) adds what the temp holds to what the
  reader wrote, at the reader's own position (:meth:`LateRows._reads_of_temp`). When the reader wrote
  a temp in turn, its content grows and *its* readers are revisited the same way.
* **Names gone.** A temp name that stops naming its temp (``RENAME``, ``SWAP``, ``DROP``, a replace)
  keeps, for :data:`GONE_KEPT` names per session, what it held and where the content went
  (:class:`~.temp_state.Gone`). A row that ended before that instant reads the temp as it was, not
  a persistent object of that name (:meth:`LateRows._as_it_was`), and a write of such a row goes into
  it and follows its moves: to the renamed temp, or to the persistent table it was renamed onto (an
  add at the rename's position).
* **Late adds.** What reaches a persistent table this way is a late ``INSERT`` event at the
  reader's (or the rename's) position; the graph folds it against the intervals already stored.

What the temp holds *now* is what is added (it may hold writes that ended after the reader): a
superset, never a lost path. Remembered reads and names gone are part of the crawl state
(``crawl_reads``, ``crawl_temp``), so one crawl, two crawls and a replay give the same graph.
Bounds (issue 13): the latest :data:`READS_PER_NAME` reads of a name; the names read last, at most
:data:`READS_KEPT` per session and :data:`READS_KEPT_ALL` over all sessions (the least recently read
name goes first, by the order numbers of the reads, which the crawl state keeps: one crawl and two
crawls forget alike); names whose latest read ended more than twice ``session_idle`` before the
resolver's clock (expired in the order read). A read is replayed only for a write that ended before
it (and for the writes that one passes it on to, each later still), so an expired read is needed only
by a row read more than twice ``session_idle`` after a row that ended later: never while rows come at
most ``session_idle`` out of END_TIME order (the premise of ``SessionResolver.sweep``). Whatever a bound
forgets leaves its latest END_TIME behind (:attr:`~.temp_state.Session.forgot` for whole names,
:attr:`~.temp_state.Session.dropped` per name): a write into a temp that ended before it may have
missed a reader, and the row is listed in :attr:`LateRows.forgotten_reads` (the crawl quarantines it:
its lineage through the temp is not known), never resolved silently short. :data:`GONE_KEPT` names
gone per session and :data:`GONE_KEPT_ALL` over all sessions, the least recently gone forgotten first; the latest instant a forgotten name went stays
(:attr:`~.temp_state.Session.gone_forgot`), and a row of the session that ended before it and names any
dataset is listed in :attr:`LateRows.forgotten_reads` with :data:`GONE_FORGOTTEN_MESSAGE` (it may have
read or written a temp the session no longer remembers), never resolved as if that temp had not been.

Pure: no I/O. A mixin of :class:`~.temp_tables.SessionResolver`, whose state it uses.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from lineage_engine.model import (
    ColumnLineage,
    DatasetRef,
    ExtractionResult,
    LineageEvent,
    Operation,
    QueryRecord,
    StatementLineage,
    dataset_of,
)
from lineage_engine.parsing.column_compose import ColumnMap, column_lineage, compose_columns
from lineage_engine.parsing.result_scan import PREFIX
from lineage_engine.parsing.temp_state import Gone, Move, Read, Session, Temp, copy_temp, merge_temp

READS_KEPT = 500
"""Names whose reads a session remembers (for temps created or written late)."""
READS_KEPT_ALL = 5000
"""Names whose reads all sessions together remember: the least recently read goes first (issue 13: 59
sessions that each lasted 90 days kept 29,500 names, about 2 KB of a crawl's 3.3 KB per row)."""
READS_PER_NAME = 4
"""Latest reads remembered per name."""
FORGOT = "#$forgot"
"""Name under which a session's :attr:`~.temp_state.Session.forgot` is stored among its reads (``crawl_reads``:
``[0, [ISO-8601]]``): never a dataset id (those never start with ``#``)."""
FORGOTTEN_MESSAGE = ("wrote a temporary object before rows of its session already read, and the crawl no longer "
                     "remembers every read of that name by those rows (a memory bound: rows far out of END_TIME "
                     "order): lineage through the temporary object into what they wrote may be missing")
"""Reason of the quarantine entry of a row listed in :attr:`LateRows.forgotten_reads`."""
GONE_KEPT = 100
"""Temp names gone (renamed, dropped, replaced) whose content a session remembers for rows read late."""
GONE_KEPT_ALL = 2000
"""Names gone all sessions together remember: the least recently gone first (issue 13: 60 sessions that each
lasted 90 days kept 100 each, about 10 KB apiece; in the order the crawl read them, by ``(END_TIME, session,
name)`` after a restore)."""
GONE_FORGOT = "#$goneforgot"
"""Name under which a session's :attr:`~.temp_state.Session.gone_forgot` is stored among its reads
(``crawl_reads``: ``[0, [ISO-8601]]``): never a dataset id (those never start with ``#``)."""
GONE_FORGOTTEN_MESSAGE = ("ended before a row of its session renamed, dropped or replaced a temporary object, and "
                          "the crawl no longer remembers what a temporary object of its session held then (a memory "
                          "bound: rows far out of END_TIME order): lineage through a temporary object it named may "
                          "be missing")
"""Reason of the quarantine entry of a row read after a name gone it may have named was forgotten."""
GONE = "#$gone:"
"""Prefix of a name gone in the crawl state's temps (``crawl_temp``): never a dataset id or a result's."""
_ID_MAX = 1000
"""Longest name kept gone (``crawl_temp.temp_id`` holds 1,024 characters with :data:`GONE`)."""


@dataclass(frozen=True, slots=True)
class ForgottenReads:
    """A write into a temporary object by a row read late, whose readers may have been forgotten.

    Attributes:
        query_id: the writing row (quarantined by the crawl with ``message``).
        name: lower-case id of the temporary object written (or a name the row named, for
            :data:`GONE_FORGOTTEN_MESSAGE`).
        message: the reason the crawl gives: :data:`FORGOTTEN_MESSAGE` or :data:`GONE_FORGOTTEN_MESSAGE`.
    """

    query_id: str
    name: str
    message: str = FORGOTTEN_MESSAGE


class LateRows:
    """Late rows through temporary objects (see the module docstring); state lives on the resolver.

    Attributes:
        forgotten_reads: rows whose write into a temp may have missed readers a bound forgot, in feed
            order; the caller quarantines them and clears it.
    """

    _sessions: dict[object, Session]
    _touched_temps: set[tuple[object, str]]
    _touched_reads: set[tuple[object, str]]
    _read_seq: int
    _read_names: dict[tuple[object, str], None]  # (session key, name) of every session's reads, least recent first
    _gone_names: dict[tuple[object, str], None]  # (session key, name) of every session's names gone, least recent first
    _row_id: str  # query id of the row being applied
    late_temps: int
    forgotten_reads: list[ForgottenReads]
    clock: datetime | None
    session_idle: timedelta

    def _is_temp_id(self, dataset_id: str) -> bool:
        raise NotImplementedError  # the resolver's temp-name patterns

    def _note_reads(self, key: object, session: Session, record: QueryRecord, st: StatementLineage,
                    target: DatasetRef) -> None:
        """Remember which names this statement read (persistent or temporary), with its target and column
        edges out of each: a temp of that name created or written by a row read later but ended earlier
        adds to what it read (:meth:`_reads_of_temp`). Bounded (see the module docstring); kept in the
        crawl state, so where crawls cut the history changes nothing."""
        by_source: dict[str, list[ColumnLineage]] = {}
        for edge in st.columns:
            by_source.setdefault(dataset_of(edge.source), []).append(edge)
        role = (record.role_name or "").upper()
        for src in st.sources:
            if src.id == target.id or src.id.startswith(PREFIX):
                continue
            _, reads = session.reads.pop(src.id, (0, []))  # re-inserted last: the oldest names go first
            reads.append(Read(record.end_time, record.query_id, record.query_type, target,
                              tuple(by_source.get(src.id, ())), role))
            if len(reads) > READS_PER_NAME:
                dropped = max(r.at for r in reads[:-READS_PER_NAME])
                if src.id not in session.dropped or session.dropped[src.id] < dropped:
                    session.dropped[src.id] = dropped
                del reads[:-READS_PER_NAME]
            self._read_seq += 1
            session.reads[src.id] = (self._read_seq, reads)
            self._read_names.pop((key, src.id), None)
            self._read_names[(key, src.id)] = None
            self._touched_reads.add((key, src.id))
            while len(session.reads) > READS_KEPT:
                self._forget_reads(key, session, next(iter(session.reads)))
        while len(self._read_names) > READS_KEPT_ALL:
            oldest, name = next(iter(self._read_names))
            self._forget_reads(oldest, self._sessions[oldest], name)
        self._expire_reads()

    def _expire_reads(self) -> None:
        """Forget the least recently read names, in that order, while the latest read of the first ended more
        than twice ``session_idle`` before :attr:`clock` (no row within the sweep's premise needs them)."""
        if self.clock is None:
            return
        before = self.clock - 2 * self.session_idle
        while self._read_names:
            key, name = next(iter(self._read_names))
            session = self._sessions[key]
            if max(r.at for r in session.reads[name][1]) >= before:
                break
            self._forget_reads(key, session, name)

    def _forget_reads(self, key: object, session: Session, name: str) -> None:
        """Forget the reads of ``name`` in the session ``key``, leaving their latest END_TIME in
        :attr:`~.temp_state.Session.forgot`."""
        _, reads = session.reads.pop(name)
        self._read_names.pop((key, name), None)
        latest = max((r.at for r in reads), default=None)
        dropped = session.dropped.pop(name, None)
        for instant in (latest, dropped):
            if instant is not None and (session.forgot is None or instant > session.forgot):
                session.forgot = instant
                self._touched_reads.add((key, FORGOT))
        self._touched_reads.add((key, name))

    def _forget_session_reads(self, key: object, session: Session) -> None:
        """Take the reads and names gone of a session being forgotten out of the orders over all sessions."""
        for name in session.reads:
            self._read_names.pop((key, name), None)
        for name in session.gone:
            self._gone_names.pop((key, name), None)

    def _reads_of_temp(self, key: object, session: Session, record: QueryRecord, temp: DatasetRef,
                       created: bool) -> list[LineageEvent]:
        """Statements of the session read before this write to a temp (in the order read) that ended after
        it and read the temp's name (as a persistent object, or as the temp itself): in END_TIME order they
        read what this write put there. Return the late adds (see :meth:`_replay`). Counted in
        :attr:`late_temps` when the write creates the temp. Their edges from a persistent object of that
        name stay, and so does what the temp holds from writes read before this one that ended after the
        reader (a superset, never a lost path). The reads stay remembered."""
        entry = session.temps.get(temp.id)
        if entry is None:
            return []
        if created:
            remembered = session.reads.get(temp.id, (0, []))[1]
            self.late_temps += sum(1 for read in remembered if read.at > record.end_time)
        return self._replay(key, session, temp.id, entry, record.end_time, None)

    def _replay(self, key: object, session: Session, name: str, content: Temp, after: datetime,
                before: datetime | None) -> list[LineageEvent]:
        """Add ``content`` (what the temp ``name`` holds, or what was added to it) to each remembered read of
        ``name`` that ended after ``after`` (and before ``before``, when the name stopped naming that temp
        then): its column edges composed through ``content``, ``via`` the temp (:meth:`_late_add`)."""
        lost = max((t for t in (session.forgot, session.dropped.get(name)) if t is not None), default=None)
        if lost is not None and after < lost:  # a bound forgot reads of the session that ended after ``after``
            self.forgotten_reads.append(ForgottenReads(self._row_id, name))
        events: list[LineageEvent] = []
        for read in list(session.reads.get(name, (0, []))[1]):
            if read.at <= after or (before is not None and read.at >= before):
                continue
            columns: ColumnMap = {}
            if read.columns:
                columns = compose_columns(read.target.id, read.columns,
                                          lambda d: content.columns if d == name else None)[0]
            added = Temp({s.id: s for s in content.upstreams.values() if s.id != read.target.id},
                         {name, *content.via}, columns, {read.role, *(content.roles or {""})}, content.since,
                         dict(content.points))
            events.extend(self._late_add(key, session, read.target, read.at, read.query_id, read.query_type, added))
        return events

    def _late_add(self, key: object, session: Session, target: DatasetRef, at: datetime, query_id: str,
                  query_type: str, added: Temp) -> list[LineageEvent]:
        """Add ``added`` to what ``target`` got at ``at`` (by statement ``query_id``), read late.

        ``target`` named a temp then (gone since, or live now): the temp takes it, its readers after
        ``at`` are revisited and, for a name gone, its moves after ``at`` carry it on. Else ``target``
        is persistent: an ``INSERT`` event at ``at`` (the graph folds it as a late event). Each step goes
        to a strictly later instant, so this ends."""
        gone = session.gone.get(target.id)
        if gone is not None and gone.temp.ended is not None and at < gone.temp.ended:
            merge_temp(gone.temp, added)
            self._touched_temps.add((key, GONE + target.id))
            events = self._replay(key, session, target.id, added, at, gone.temp.ended)
            moved = replace(added, via={target.id, *added.via})
            for move in gone.moves:
                if move.at > at:
                    events.extend(self._late_add(key, session, move.to, move.at, move.query_id, move.query_type,
                                                 replace(moved, roles={move.role, *moved.roles})))
            return events
        live = session.temps.get(target.id)
        if live is not None:
            merge_temp(live, added)
            self._touched_temps.add((key, target.id))
            return self._replay(key, session, target.id, added, at, None)
        if self._is_temp_id(target.id):
            return []  # a temp this resolver does not hold
        sources = [s for s in added.upstreams.values() if s.id != target.id]
        if not sources and not added.columns:
            return []
        edges = tuple(sorted(column_lineage(target.id, added.columns), key=lambda e: (e.target, e.source, e.kind)))
        return [LineageEvent(
            at=at, query_id=query_id, query_type=query_type, operation=Operation.INSERT, target=target,
            sources=tuple(sources), via=tuple(sorted(added.via)), columns=edges,
            via_roles=tuple(sorted(added.roles or {""})),
            via_since=added.since if added.since is not None and added.since < at else None,
            read_points=tuple(sorted((s.id, added.points[s.id]) for s in sources if s.id in added.points)))]

    def _leave(self, key: object, session: Session, record: QueryRecord, name: str,
               to: tuple[DatasetRef, ...] = ()) -> None:
        """Remember what the temp ``name`` holds as the row ``record`` stops it naming it (a RENAME or SWAP
        to ``to``, a DROP or a replace: no ``to``); see :class:`~.temp_state.Gone`."""
        entry = session.temps.get(name)
        if entry is None or name.startswith(PREFIX) or len(name) > _ID_MAX:
            return
        held = copy_temp(entry)
        held.ended = record.end_time
        moves = tuple(Move(ref, record.end_time, record.query_id, record.query_type, (record.role_name or "").upper())
                      for ref in to)
        before = session.gone.pop(name, None)
        self._gone_names.pop((key, name), None)
        if before is not None:  # gone again: the union, at the latest instant
            merge_temp(held, before.temp)
            moves = (*before.moves, *moves)
        session.gone[name] = Gone(held, moves)
        self._gone_names[(key, name)] = None
        self._touched_temps.add((key, GONE + name))
        while len(session.gone) > GONE_KEPT:
            self._forget_gone(key, session, next(iter(session.gone)))
        while len(self._gone_names) > GONE_KEPT_ALL:
            oldest, oldest_name = next(iter(self._gone_names))
            self._forget_gone(oldest, self._sessions[oldest], oldest_name)

    def _forget_gone(self, key: object, session: Session, name: str) -> None:
        """Forget the name gone ``name`` of the session ``key``, leaving the instant it went in
        :attr:`~.temp_state.Session.gone_forgot` (the latest such)."""
        ended = session.gone.pop(name).temp.ended
        self._gone_names.pop((key, name), None)
        self._touched_temps.add((key, GONE + name))
        if ended is not None and (session.gone_forgot is None or ended > session.gone_forgot):
            session.gone_forgot = ended
            self._touched_reads.add((key, GONE_FORGOT))

    def _as_it_was(self, session: Session, record: QueryRecord, result: ExtractionResult) -> dict[str, Temp]:
        """Return the temps gone that this row named (read or wrote) before they went: ``{name: what it
        held}`` (empty for a row read in END_TIME order). A row that ended before a name gone the session
        forgot and names any dataset is listed in :attr:`forgotten_reads` (any name: which one went is
        forgotten too; a possible false positive, never a silent gap)."""
        if not session.gone and session.gone_forgot is None:
            return {}
        named = {ref.id for st in result.statements for ref in (*st.sources, st.target)
                 if ref is not None and not ref.id.startswith(PREFIX)}
        if named and session.gone_forgot is not None and record.end_time < session.gone_forgot:
            self.forgotten_reads.append(ForgottenReads(self._row_id, min(named), GONE_FORGOTTEN_MESSAGE))
        return {name: gone.temp for name in named
                if (gone := session.gone.get(name)) is not None and gone.temp.ended is not None
                and record.end_time < gone.temp.ended}


def view_of(temps: dict[str, Temp], was: Mapping[str, Temp]) -> Mapping[str, Temp]:
    """Return the temps a row sees: ``was`` (names gone after it ended) over the session's live ``temps``."""
    if not was:
        return temps
    return {**temps, **was}
