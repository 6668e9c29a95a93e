"""Collapse session-scoped temporary objects out of lineage (design §5).

``target <- tmp <- upstream`` becomes ``target <- upstream`` with ``via: [tmp]``; a
temporary object never becomes a :class:`LineageEvent` target or upstream. Dropping temp
statements instead (a common peer bug) would cut PII paths.

Session key: ``record.session_id`` when the export has it, else ``(user_name,
database_name)`` of the row, i.e. "same user and session database within a run". The
fallback can merge two concurrent sessions of one user; temp names are per model in
practice (dbt's ``X__dbt_tmp``), so collisions are rare.

Temporary objects are TEMPORARY / VOLATILE ones, names matching the temp patterns, and any
object created as temporary earlier in the same session (later INSERTs into it name it
without the keyword; a ``CREATE`` without the keyword of such a name is the permanent table, see
:meth:`SessionResolver._shadowed`). Upstreams of a temp object are resolved when it is written
(a snapshot): a temp built from temps carries their upstreams and their ids in ``via``.
Writes to a temp (create/replace reset its upstreams, insert/merge/update/delete/copy add
to them) emit nothing; DROP forgets it. RENAME / SWAP between two temps move entries; a
temp renamed (or swapped) onto a persistent name gives that name a REPLACE event with the
temp's upstreams, which is how rename-based materializations (``X__dbt_tmp`` renamed to
``X``) keep their lineage.

Column lineage is resolved the same way (issue 5): a temp object keeps, per column, the
upstream column edges it was written with, and ``target.c <- tmp.c <- source.c`` becomes
``target.c <- source.c`` with the transforms composed (masked anywhere stays masked; see
:mod:`.column_compose`, shared with script collapsing). Column edges from a temp this
resolver never saw written are dropped, as its dataset-level read is.

Sessions end (issue 13). A Snowflake session that stayed idle longer than its idle timeout
is closed, and its temporary objects with it; a row of a session idle for more than
``session_idle`` (default :data:`DEFAULT_SESSION_IDLE`) therefore starts that session
afresh. The decision is made per row from the rows' own times (a session's ``last_seen`` is
the latest end time of its rows, never moved back by a row read late), so a crawl resumed
anywhere resolves exactly as a clean one. A read of a temp that expired this way is an
unresolved read, reported as such.

:meth:`SessionResolver.sweep` bounds memory: at a batch commit it forgets sessions idle for
more than twice ``session_idle`` before the latest row read. For rows that arrive at most
``session_idle`` out of end-time order (Snowflake's QUERY_HISTORY read ``ORDER BY end_time``
has none) no later row can continue such a session, so the sweep never changes an answer and
where commits fall does not matter. Rows read later than that are counted
(:attr:`SessionResolver.late_rows`) and reported by the crawl, since for them the per-row
decision follows the order read.

Result sets (review O2). A query's result set is a temporary object too: ``RESULT_SCAN`` reads it
later (Snowflake "RESULT_SCAN", https://docs.snowflake.com/en/sql-reference/functions/result_scan;
"LAST_QUERY_ID", https://docs.snowflake.com/en/sql-reference/functions/last_query_id; see
:mod:`.result_scan`). A session keeps the query ids of its last :data:`RECENT_QUERIES` rows and the
result set of each query among them (temp ``#$result:<query id>``); a result leaving them (or its
session) is kept by id, the latest :data:`RESULTS_BY_ID` for :data:`RESULT_LIFETIME`. Places follow
the order rows are read, like temps: a copy read before a row of its session that ended before it
(a file out of END_TIME order) may be bound to an older result (not detected).

Rows read out of END_TIME order (review s14 R11): remembered reads of names (persistent and
temporary) and names gone (renamed, dropped, replaced) with what they held: :mod:`.temp_late`.

Incremental state. :meth:`SessionResolver.take_changes` returns what changed since its
last call (sessions seen, temps written or gone, sessions forgotten) so a crawl can persist
only that at each batch commit, at a cost that does not grow with the history.
"""

from __future__ import annotations

from bisect import insort

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import Any

from lineage_engine.model import (
    ColumnLineage,
    DatasetRef,
    ExtractionResult,
    LineageEvent,
    Operation,
    QueryRecord,
    StatementLineage,
)
from lineage_engine.parsing.column_compose import ColumnMap, column_lineage, compose_columns, merge_columns
from lineage_engine.parsing.result_scan import (
    BY_ID,
    LAST,
    PREFIX,
    UNKNOWN,
    fits,
    is_result_read,
    may_return_data,
    rebind,
    result_id,
    split_reference,
)
from lineage_engine.parsing.temp_late import FORGOT, GONE, GONE_FORGOT, LateRows, view_of
from lineage_engine.parsing.temp_names import DEFAULT_TEMP_PATTERNS, compile_temp_patterns, is_temp_name
from lineage_engine.parsing.temp_state import Session as _Session
from lineage_engine.parsing.temp_state import gone_from_state, gone_state
from lineage_engine.parsing.temp_state import Temp as _Temp
from lineage_engine.parsing.temp_state import reads_from_state as _reads_from_state
from lineage_engine.parsing.temp_state import reads_state as _reads_state
from lineage_engine.parsing.temp_state import temp_from_state as _temp_from_state
from lineage_engine.parsing.temp_state import temp_state as _temp_state

DEFAULT_SESSION_IDLE = timedelta(hours=24)
"""Idle time after which a session is taken as ended. Snowflake closes a session after 4
hours without activity by default (session policies, ``SESSION_IDLE_TIMEOUT_MINS``: 240);
clients with ``CLIENT_SESSION_KEEP_ALIVE`` may keep it longer, hence a day by default
(``telemetry.session_idle_hours``): too long costs memory, too short loses lineage."""

_RESETS = frozenset({Operation.CREATE, Operation.REPLACE, Operation.VIEW, Operation.CLONE, Operation.TRUNCATE})
_IDENTITY_MOVES = frozenset({Operation.RENAME, Operation.SWAP})
_IN_PLACE = frozenset({Operation.UPDATE, Operation.DELETE})
_CREATES = frozenset({Operation.CREATE, Operation.REPLACE, Operation.VIEW, Operation.CLONE})


@dataclass(frozen=True, slots=True)
class UnresolvedTempRead:
    """A read of a temporary object this resolver never saw written (never a node).

    Typical cause: the temp was created before the crawl window or in a row filtered out.

    Attributes:
        query_id: the reading statement.
        temp_id: lower-case id of the temporary object.
        target_id: the dataset the statement wrote.
    """

    query_id: str
    temp_id: str
    target_id: str


RECENT_QUERIES = 10
"""Rows per session whose query ids (and SELECT result sets) are remembered for ``RESULT_SCAN`` (review O2):
``LAST_QUERY_ID(-k)`` with k up to this, and ``RESULT_SCAN('<id>')`` of one of a live session's last rows."""
RESULTS_BY_ID = 1000
"""Result sets kept for ``RESULT_SCAN('<query id>')`` after their rows left their session's last
:data:`RECENT_QUERIES` (or their session ended), latest first; older ones are forgotten."""
RESULT_LIFETIME = timedelta(hours=24)
"""Snowflake keeps a query's result set for 24 hours ("RESULT_SCAN", not adjustable): an older one is forgotten."""
KEPT_KEY: tuple[object, ...] = ("results",)
"""Session key under which the results kept by id are stored (``crawl_session`` / ``crawl_temp``); real
keys start with ``session`` or ``user_db`` (:func:`session_key`)."""
RECENT_NAME = PREFIX + "recent"
"""Name under which a session's :attr:`_Session.recent` is stored among its reads (``crawl_reads``):
never a persistent dataset id (those never start with ``#``)."""


@dataclass(frozen=True, slots=True)
class UnresolvedResultRead:
    """A ``RESULT_SCAN`` of a query whose result set the resolver does not know (the row is quarantined).

    Attributes:
        query_id: the reading statement.
        reference: ``#$result:last:k`` or ``#$result:id:<query id>`` (:mod:`.result_scan`).
    """

    query_id: str
    reference: str


@dataclass(slots=True)
class StateChanges:
    """What changed in a resolver since the last :meth:`SessionResolver.take_changes`.

    Attributes:
        sessions: ``{key: last_seen}`` of sessions that hold temps and were seen (upsert).
        temps: ``{(key, temp_id): state}`` of temps written (upsert; state as in
            :meth:`SessionResolver.to_state`).
        gone_temps: ``(key, temp_id)`` of temps dropped, renamed away or expired (delete).
        gone_sessions: keys of sessions forgotten with all their temps and reads (delete).
        reads: ``{(key, name): [order, [read, ...]]}`` of persistent names whose remembered
            reads changed (upsert; shape as in :meth:`SessionResolver.to_state`).
        gone_reads: ``(key, name)`` of names a session no longer remembers (delete).
    """

    sessions: dict[tuple[object, ...], datetime | None] = field(default_factory=dict)
    temps: dict[tuple[tuple[object, ...], str], dict[str, object]] = field(default_factory=dict)
    gone_temps: set[tuple[tuple[object, ...], str]] = field(default_factory=set)
    gone_sessions: set[tuple[object, ...]] = field(default_factory=set)
    reads: dict[tuple[tuple[object, ...], str], list[object]] = field(default_factory=dict)
    gone_reads: set[tuple[tuple[object, ...], str]] = field(default_factory=set)


_INSTANTS = {FORGOT: "forgot", GONE_FORGOT: "gone_forgot"}
"""Names of a session's instants stored among its reads (``[0, [ISO-8601]]``) -> :class:`_Session` attribute."""


def _keeps(session: _Session) -> bool:
    """Return whether the crawl state keeps anything of ``session``."""
    return bool(session.temps or session.reads or session.gone or session.forgot or session.gone_forgot)


_NO_END = datetime.min.replace(tzinfo=timezone.utc)
"""Sort key of a kept result whose END_TIME is not known: oldest."""


def _kept_key(query_id: str, held: _Temp) -> tuple[datetime, str]:
    """Order of results kept by id: (END_TIME, query id), oldest first (eviction and restore agree)."""
    return (held.ended or _NO_END, query_id)


class SessionResolver(LateRows):
    """Fold extraction results, row by row in execution order, into lineage events.

    Stateful but pure: no I/O, no clock; state is the per-session map of temp objects.
    Feed rows in execution (end_time) order.

    Attributes:
        unresolved: reads of temp objects unknown in their session, in feed order. The
            caller may report and clear it.
    """

    def __init__(self, temp_patterns: Sequence[str] = DEFAULT_TEMP_PATTERNS,
                 session_idle: timedelta = DEFAULT_SESSION_IDLE) -> None:
        """Create a resolver.

        Args:
            temp_patterns: name patterns of temporary objects (see ``temp_names``).
            session_idle: a session idle longer than this has ended (its temps are gone).

        Raises:
            re.error: a pattern is not a valid regular expression.
        """
        self._temp_re = compile_temp_patterns(temp_patterns)
        self.session_idle = session_idle
        self._sessions: dict[object, _Session] = {}
        self.unresolved: list[UnresolvedTempRead] = []
        self.clock: datetime | None = None
        """Latest end time (UTC) of any row fed, or of any session restored."""
        self.late_rows = 0
        """Rows read more than ``session_idle`` earlier than :attr:`clock` (out of time order)."""
        self.late_temps = 0
        """Statements found to have read a temp created by a row read after them (see :meth:`feed`)."""
        self._touched: set[object] = set()  # sessions seen since take_changes
        self._touched_temps: set[tuple[object, str]] = set()
        self._touched_reads: set[tuple[object, str]] = set()
        self._gone: set[object] = set()
        self._read_seq = 0  # order numbers of remembered reads (least recently read first)
        self._read_names: dict[tuple[object, str], None] = {}  # every session's names read, least recent first
        self._gone_names: dict[tuple[object, str], None] = {}  # every session's names gone, least recent first
        self._row_id = ""
        self.forgotten_reads = []
        self._results: dict[str, object] = {}  # query id -> key of the session remembering its result set
        self._touched_recent: set[object] = set()
        self._kept: dict[str, _Temp] = {}  # query id -> result set kept by id (RESULTS_BY_ID)
        self._kept_order: list[tuple[datetime, str]] = []  # (END_TIME, query id) of self._kept, sorted
        self._touched_kept: set[str] = set()
        self.unresolved_results: list[UnresolvedResultRead] = []
        """RESULT_SCAN reads of results not known, in feed order; the caller quarantines their rows and clears it."""

    def feed(self, record: QueryRecord, result: ExtractionResult,
             points: Mapping[str, datetime] | None = None) -> list[LineageEvent]:
        """Apply one row's statements; return the events for its persistent targets.

        Args:
            record: the query-history row (session, time and id come from it).
            result: ``extract_lineage`` of ``record.query_text``.
            points: ``{source dataset id: instant}`` of the row's Time Travel reads
                (:func:`~lineage_engine.parsing.time_travel.row_points`; aware UTC). An event
                gets the points of the sources it reads (``read_points``), directly or through
                a temporary object: a temp keeps the points of what it was filled from, so
                ``target <- tmp <- t AT (...)`` reads ``t``'s content at that point too.

        Returns:
            Events in statement order, at ``record.end_time``; none for statements that
            write a temporary object (they update the session's temp map instead).

        ``RESULT_SCAN`` (review O2, :mod:`.result_scan`): a result set is remembered (the temp
        ``#$result:<query id>``) for a row whose last statement is a query, while the row is among
        its session's last :data:`RECENT_QUERIES` read. A read of ``#$result:last:k`` is bound to
        the result sets of the last k rows of the session read before this one: for k = 1 the row
        just before; for k > 1 every result among the last k (rows the crawl never reads, such as
        failed or ``SHOW`` rows from Snowflake, take no place, so the real k-th row is one of them
        or holds no values: the union over-reports, never under-reports). A read of
        ``#$result:id:<query id>`` is bound to that query's result set in any live session. A
        read bound to nothing is left out and listed in :attr:`unresolved_results`: a place
        not held (too far back, or this row read after a row of its session that ended later),
        a window holding a row whose result may hold values not known (a CALL, a query not
        parsed), or no result kept in it (DDL, DML, SHOW ...).
        """
        key, session, ahead = self._enter(record)
        unbound = len(self.unresolved_results)
        result, borrowed = self._bind_results(key, session, record, result, ahead)
        unbound = len(self.unresolved_results) > unbound
        try:
            events = self._apply(key, session, record, result, points, ahead)
            kept = not unbound and self._remember(key, session, record, result, points)
        finally:
            for rid in borrowed:  # another session's result, read by this row
                session.temps.pop(rid, None)
        self._note_query(key, session, record, kept, ahead, unbound and _returns_rows(result))
        return events

    def query(self, record: QueryRecord, result: ExtractionResult,
              points: Mapping[str, datetime] | None = None) -> None:
        """Note a row that writes nothing but returns a result set (a SELECT parsed for its reads).

        The session is active (as :meth:`seen`), and the row's result set is remembered as the
        temp ``#$result:<query id>`` for later ``RESULT_SCAN`` reads (see :meth:`feed`); a
        ``RESULT_SCAN`` it reads itself is resolved the same way (a result of a result).
        """
        key, session, ahead = self._enter(record)
        unbound = len(self.unresolved_results)
        result, borrowed = self._bind_results(key, session, record, result, ahead)
        unbound = len(self.unresolved_results) > unbound
        try:
            # a query that read a result not known returns values not known: its place is ``?`` (review s15 Q7)
            kept = not unbound and self._remember(key, session, record, result, points)
        finally:
            for rid in borrowed:
                session.temps.pop(rid, None)
        self._note_query(key, session, record, kept, ahead, unbound and _returns_rows(result))

    def _enter(self, record: QueryRecord) -> tuple[object, _Session, bool]:
        """Return the row's session key and session (see :meth:`_session_of`), and whether a row of it
        that ended strictly after this one was read before it (out of END_TIME order)."""
        self._row_id = record.query_id
        before = self._sessions.get(session_key(record))
        seen_until = before.last_seen if before is not None else None
        key, session = self._session_of(record)
        ahead = session is before and seen_until is not None and seen_until > record.end_time
        return key, session, ahead

    def _apply(self, key: object, session: _Session, record: QueryRecord, result: ExtractionResult,
               points: Mapping[str, datetime] | None, ahead: bool = False) -> list[LineageEvent]:
        """Apply one row's statements to its session; return the events (see :meth:`feed`).

        ``ahead``: a row of the session that ended after this one was read before it. Such a row reads
        (and writes) the temps gone since it ended as they were (:mod:`.temp_late`), and its replace of a
        live temp adds to it (the temp holds what rows that ended after it wrote: a superset)."""
        named = {n for st in result.statements for n in _names(st)}
        held = {n for n in named if n in session.temps}  # temps this row may rewrite or remove
        was = self._as_it_was(session, record, result)
        temps = view_of(session.temps, was)
        events: list[LineageEvent] = []
        for st in result.statements:
            target = st.target
            if target is None or st.operation is Operation.ALTER:
                continue  # a SELECT or an ALTER (queries=True) moves no data
            sources, via, travel = self._resolve(temps, record, st.sources, target, points or {})
            roles = {(record.role_name or "").upper()}
            since = record.end_time  # when the data this statement moves was read from persistent objects
            for src in st.sources:  # who wrote the temps read: they read the upstreams (masking policies)
                read = temps.get(src.id)
                if read is not None and src.id != target.id:
                    roles.update(read.roles or {""})
                    if read.since is not None and read.since < since:
                        since = read.since
            columns = self._resolve_columns(temps, st, target)
            own = [s for s in sources if s.id != target.id]  # a temp never derives from itself
            own_points = {s: p for s, p in travel.items() if s != target.id}
            if target.id in was:  # a write of a temp's name gone since this row ended (review s14 R11b)
                if st.operation not in _IDENTITY_MOVES and st.operation is not Operation.DROP:
                    self._note_reads(key, session, record, st, target)
                    added = _Temp({s.id: s for s in own}, set(via), _column_map(target, columns), roles, since,
                                  own_points)
                    events.extend(self._late_add(key, session, target, record.end_time, record.query_id,
                                                 record.query_type, added))
                continue  # a late DROP / RENAME of it moves nothing the crawl follows
            target_temp = self._is_temp(session, target, st.temporary)
            other = st.counterpart
            if st.operation in _IDENTITY_MOVES and other is not None:
                other_temp = self._is_temp(session, other, False)
                if target_temp != other_temp:
                    events.extend(self._move_across(key, session, record, st, target_temp))
                    continue
            operation = st.operation
            if target_temp and self._shadowed(session, st, target):
                # a permanent CREATE of a live temp's name (review s14 R11a): the permanent table gets the
                # content (other sessions read it); an OR REPLACE may also have replaced the temp, so the
                # temp takes it too (a superset for this session's later reads)
                if operation is not Operation.CREATE:
                    self._write_temp(key, session, record, Operation.INSERT, target, own, via, other, columns,
                                     roles, since, own_points)
                    events.extend(self._reads_of_temp(key, session, record, target, False))
                target_temp = False
            if target_temp:
                if ahead and operation in _RESETS and target.id in session.temps:
                    operation = Operation.INSERT  # rows that ended after this one wrote it: keep what they wrote
                created = operation in _RESETS and target.id not in session.temps
                self._write_temp(key, session, record, operation, target, own, via, other, columns, roles, since,
                                 own_points)
                if operation not in _IDENTITY_MOVES and operation is not Operation.DROP:
                    self._note_reads(key, session, record, st, target)
                    events.extend(self._reads_of_temp(key, session, record, target, created))
                continue
            self._note_reads(key, session, record, st, target)
            replaces = st.replaces
            if st.operation is Operation.TRUNCATE and any(target.id in t.upstreams for t in session.temps.values()):
                # a live temp holds a copy of what is emptied (back up, empty, reload): the data
                # may come back through it, so nothing closes (superset, never a lost path)
                replaces = False
            event = _event(record, st.operation, target, sources, via, replaces, other, _edges(target, columns),
                           roles if via else set(), since if via else None, travel)
            if st.overwrites or st.column_moves:
                event = replace(event, overwrites=st.overwrites, column_moves=st.column_moves)
            events.append(event)
        # temps written, moved or dropped by this row (only targets and counterparts change)
        self._touched_temps.update((key, n) for n in named if n in held or n in session.temps)
        return events

    def _is_temp_id(self, dataset_id: str) -> bool:
        return is_temp_name(dataset_id, self._temp_re)

    def seen(self, record: QueryRecord) -> None:
        """Note a row of the session that writes nothing (a query, a skipped row): the session
        is active, so its temps stay alive. It takes a position among the session's queries
        (``LAST_QUERY_ID``), with no result set known."""
        key, session, ahead = self._enter(record)
        self._note_query(key, session, record, False, ahead)

    def _bind_results(self, key: object, session: _Session, record: QueryRecord, result: ExtractionResult,
                      ahead: bool) -> tuple[ExtractionResult, list[str]]:
        """Bind the row's ``RESULT_SCAN`` references to remembered result sets (see :meth:`feed`).

        Returns:
            ``(result with its statements reading the results, ids of other sessions' results put
            into this session's temps for the row)``: the caller takes those out after the row.
        """
        refs = sorted({s.id for st in result.statements for s in st.sources if is_result_read(s.id)})
        if not refs:
            return result, []
        own = record.query_id.strip().lower()
        places = [q.removeprefix(UNKNOWN) for q in session.recent]
        # LAST_QUERY_ID counts the rows before this one; a row read again counts from its first place
        base = places.index(own) if own in places else None if ahead else len(places)
        bound: dict[str, tuple[str, ...]] = {}
        borrowed: list[str] = []
        for ref in refs:
            rids: tuple[str, ...] = ()
            plain = split_reference(ref)[0]
            if plain.startswith(LAST):
                back = plain[len(LAST):]
                if back.isdigit() and base is not None and 0 < int(back) <= base:
                    # the k-th place or a later one: rows the crawl does not read (failed, SHOW, USE ...)
                    # take no place, so the k-th place read may be older than the real one
                    window = session.recent[base - int(back):base]
                    if not any(q.startswith(UNKNOWN) for q in window):
                        rids = tuple(result_id(q) for q in window if result_id(q) in session.temps)
            elif plain.startswith(BY_ID) and plain[len(BY_ID):]:
                wanted = plain[len(BY_ID):]
                rid = result_id(wanted)
                if rid not in session.temps:
                    home = self._sessions.get(self._results.get(wanted, ()))
                    held = home.temps.get(rid) if home is not None else self._kept.get(wanted)
                    if held is not None and held.ended is not None and record.end_time - held.ended > RESULT_LIFETIME:
                        held = None  # Snowflake no longer holds it (the statement read another one, or failed)
                    if held is not None:
                        session.temps[rid] = held
                        borrowed.append(rid)
                rids = (rid,) if rid in session.temps else ()
            if not all(fits(ref, session.temps[r].columns) for r in rids):
                rids = ()  # star modifiers over columns not known: never applied wrongly (review s15 Q6)
            bound[ref] = rids
            if not rids:
                self.unresolved_results.append(UnresolvedResultRead(record.query_id, ref))
        statements = tuple(rebind(st, bound, lambda r: tuple(session.temps[r].columns)) for st in result.statements)
        return replace(result, statements=statements), borrowed

    def _remember(self, key: object, session: _Session, record: QueryRecord, result: ExtractionResult,
                  points: Mapping[str, datetime] | None) -> bool:
        """Keep the result set of a row whose last statement is a query as the temp ``#$result:<query id>``:
        what the query read (through temps and results), its column lineage into ``<select>``, roles, the
        time of the earliest write it read through and its Time Travel points, as a temporary CTAS of the
        query would hold them. Return True when it was kept."""
        last = result.statements[-1] if result.statements else None
        if last is None or last.operation is not Operation.QUERY or not record.query_id.strip():
            return False
        rid = result_id(record.query_id)
        ref = DatasetRef(id=rid, name=rid)
        unresolved = len(self.unresolved)
        sources, via, travel = self._resolve(session.temps, record, last.sources, ref, points or {})
        del self.unresolved[unresolved:]  # a query's unknown temp reads were never counted (no lineage to lose)
        roles = {(record.role_name or "").upper()}
        since = record.end_time
        for src in last.sources:
            read = session.temps.get(src.id)
            if read is not None:
                roles.update(read.roles or {""})
                if read.since is not None and read.since < since:
                    since = read.since
        columns = self._resolve_columns(session.temps, last, _SELECT)
        self._write_temp(key, session, record, Operation.CREATE, ref, sources, via, None, columns, roles, since,
                         travel)
        session.temps[rid].ended = record.end_time
        self._results[rid[len(PREFIX):]] = key
        self._touched_temps.add((key, rid))
        return True

    def _note_query(self, key: object, session: _Session, record: QueryRecord, kept: bool,
                    ahead: bool = False, unknown: bool = False) -> None:
        """Give the row its place among the session's last :data:`RECENT_QUERIES` (once: a row read again keeps
        its first place), marked :data:`~.result_scan.UNKNOWN` when its result set is not kept but may hold
        values (a CALL, a query not read, a query that read a result not known: ``unknown``, review s15 Q7)
        or when the row is read after a row of its session that ended later (``ahead``: its place is not the
        newest, so ``LAST_QUERY_ID`` over it is not known; taken as the newest, the next copy read the late
        row's result silently: review s15 Q1), and forget the result set of the row that falls out."""
        own = record.query_id.strip().lower()
        if not own or own in session.recent or UNKNOWN + own in session.recent:
            return
        unknown = unknown or ahead or (not kept and may_return_data(record.query_type, record.execution_status))
        session.recent.append(UNKNOWN + own if unknown else own)
        self._touched_recent.add(key)
        while len(session.recent) > RECENT_QUERIES:
            old = session.recent.pop(0).removeprefix(UNKNOWN)
            rid = result_id(old)
            held = session.temps.pop(rid, None)
            if held is not None:
                self._touched_temps.add((key, rid))
                self._keep(old, held)
            if self._results.get(old) == key:
                del self._results[old]

    def _keep(self, query_id: str, held: _Temp) -> None:
        """Keep a result set that left its session for ``RESULT_SCAN('<query id>')``: the latest
        :data:`RESULTS_BY_ID`, none older than :data:`RESULT_LIFETIME` before :attr:`clock`."""
        if self._kept.pop(query_id, None) is not None:
            self._kept_order = [key for key in self._kept_order if key[1] != query_id]
        self._kept[query_id] = held
        insort(self._kept_order, _kept_key(query_id, held))
        self._touched_kept.add(query_id)
        # oldest first by (END_TIME, query id), the order from_state restores: evicted by insertion
        # order instead, a resumed crawl kept other results than one crawl (review s15 Q5)
        while self._kept_order:
            ended, oldest = self._kept_order[0]
            if len(self._kept) <= RESULTS_BY_ID and (ended == _NO_END or self.clock is None
                                                     or self.clock - ended <= RESULT_LIFETIME):
                break
            del self._kept_order[0]
            del self._kept[oldest]
            self._touched_kept.add(oldest)

    def _session_of(self, record: QueryRecord) -> tuple[object, _Session]:
        key = session_key(record)
        session = self._sessions.get(key)
        if session is not None and session.last_seen is not None and \
                record.end_time - session.last_seen > self.session_idle:
            self._forget(key)  # the session ended while idle: its temps are gone
            session = None
        if session is None:
            session = self._sessions[key] = _Session()
        if session.last_seen is None or record.end_time > session.last_seen:
            session.last_seen = record.end_time  # a row read late never moves it back
        if self.clock is None or record.end_time > self.clock:
            self.clock = record.end_time
        elif self.clock - record.end_time > self.session_idle:
            self.late_rows += 1
        self._touched.add(key)
        return key, session

    def evict_idle(self, before: datetime) -> int:
        """Forget sessions not seen since ``before`` (their temp objects are gone).

        Args:
            before: UTC instant; sessions whose last row ended earlier are dropped.

        Returns:
            The number of sessions forgotten.
        """
        stale = [k for k, s in self._sessions.items() if s.last_seen is not None and s.last_seen < before]
        for key in stale:
            self._forget(key)
        return len(stale)

    def sweep(self) -> int:
        """Forget sessions idle for more than twice ``session_idle`` before :attr:`clock`.

        A memory bound for batch commits that never changes an answer while rows arrive at
        most ``session_idle`` out of end-time order: a later row of such a session would end
        it anyway (see the module docstring).

        Returns:
            The number of sessions forgotten (0 before any row).
        """
        if self.clock is None:
            return 0
        return self.evict_idle(self.clock - 2 * self.session_idle)

    def _forget(self, key: object) -> None:
        session = self._sessions.pop(key)
        self._forget_session_reads(key, session)
        for temp_id, temp in session.temps.items():
            if temp_id.startswith(PREFIX):
                if self._results.get(temp_id[len(PREFIX):]) == key:
                    del self._results[temp_id[len(PREFIX):]]
                self._keep(temp_id[len(PREFIX):], temp)  # Snowflake keeps it 24 hours, the session gone or not
        self._touched_recent.discard(key)
        self._gone.add(key)
        self._touched.discard(key)
        self._touched_temps = {t for t in self._touched_temps if t[0] != key}
        self._touched_reads = {t for t in self._touched_reads if t[0] != key}

    def take_changes(self) -> StateChanges:
        """Return what changed since the last call (or since creation) and start afresh.

        Persisting every :class:`StateChanges` in order, on top of the :meth:`to_state` of
        the start, gives the :meth:`to_state` of now.
        """
        changes = StateChanges(gone_sessions={_key_tuple(k) for k in self._gone})
        for key in self._touched:
            session = self._sessions.get(key)
            if session is not None and _keeps(session):
                changes.sessions[_key_tuple(key)] = session.last_seen
            else:
                changes.gone_sessions.add(_key_tuple(key))  # nothing left to keep
        for key, temp_id in self._touched_temps:
            session = self._sessions.get(key)
            if temp_id.startswith(GONE):
                gone = session.gone.get(temp_id[len(GONE):]) if session is not None else None
                if gone is not None:
                    changes.temps[(_key_tuple(key), temp_id)] = gone_state(gone)
                else:
                    changes.gone_temps.add((_key_tuple(key), temp_id))
                continue
            temp = session.temps.get(temp_id) if session is not None else None
            if temp is not None:
                changes.temps[(_key_tuple(key), temp_id)] = _temp_state(temp)
            else:
                changes.gone_temps.add((_key_tuple(key), temp_id))
        for key, name in self._touched_reads:
            session = self._sessions.get(key)
            if name in _INSTANTS:
                instant = getattr(session, _INSTANTS[name]) if session is not None else None
                if instant is not None:
                    changes.reads[(_key_tuple(key), name)] = [0, [instant.isoformat()]]
                else:
                    changes.gone_reads.add((_key_tuple(key), name))
                continue
            remembered = session.reads.get(name) if session is not None else None
            if remembered is not None:
                changes.reads[(_key_tuple(key), name)] = _reads_state(remembered, session.dropped.get(name))
            else:
                changes.gone_reads.add((_key_tuple(key), name))
        for key in self._touched_recent:
            session = self._sessions.get(key)
            if session is not None and _has_results(session):
                changes.reads[(_key_tuple(key), RECENT_NAME)] = [0, list(session.recent)]
            else:
                changes.gone_reads.add((_key_tuple(key), RECENT_NAME))
        for query_id in self._touched_kept:
            held = self._kept.get(query_id)
            if held is not None:
                changes.temps[(KEPT_KEY, result_id(query_id))] = _temp_state(held)
            else:
                changes.gone_temps.add((KEPT_KEY, result_id(query_id)))
        if self._touched_kept:
            if self._kept:
                changes.sessions[KEPT_KEY] = None
            else:
                changes.gone_sessions.add(KEPT_KEY)
        self._touched, self._touched_temps, self._touched_reads, self._gone = set(), set(), set(), set()
        self._touched_recent, self._touched_kept = set(), set()
        return changes

    def live_temps(self) -> int:
        """Return the number of live temporary objects over every session."""
        return sum(len(s.temps) for s in self._sessions.values())

    def to_state(self) -> dict[str, object]:
        """Return the live temp objects of every session as a JSON-able mapping.

        Stored with the watermark, so a crawl resumed after a crash still resolves temp
        objects created before it (exact resume, design §10). Shape:
        ``{"sessions": [{"key": [...], "last_seen": ISO-8601 | None, "temps": {temp_id:
        {"upstreams": [[id, name, kind], ...], "via": [ids], "columns": {column:
        [[source, kind, rank, confidence], ...]}, "roles": [ROLE, ...], "since": ISO-8601}}}]}``
        (``columns`` only when the temp has column lineage; ``roles``: of the statements that
        wrote it, upper case, "" when unknown; ``since``: its earliest write, or that of a temp
        it read, when known; ``points``: ``{upstream id: ISO-8601}``, the earliest Time Travel
        point of each upstream it was filled from at one), and ``"reads": {name: [order, [[end_time, query_id, query_type,
        [target id, name, kind], [[source, target, transform, kind, confidence], ...], ROLE],
        ...]]}`` when the session remembers reads of persistent names (the order number: least
        recently read first; names of temps too; the list led by an ISO-8601 string when reads of the name
        past the latest 4 were dropped: the latest END_TIME dropped), ``"#$forgot": [0, [ISO-8601]]`` when
        the session forgot whole names (the latest END_TIME of their reads, :mod:`.temp_late`), ``"#$goneforgot":
        [0, [ISO-8601]]`` when it forgot names gone (the latest instant one went); names gone (:mod:`.temp_late`) are temps ``#$gone:<name>``
        of that shape with ``"ended"`` (when) and ``"moves": [[[id, name, kind], ISO-8601, query_id,
        query_type, ROLE], ...]``; sessions with none of these are left out. Remembered result sets (review O2)
        are temps ``#$result:<query id>`` of that shape, and a session holding one also has the reads
        entry ``#$result:recent``: ``[0, [query id, ...]]``, its last :data:`RECENT_QUERIES` places,
        oldest first, ``?`` before the id of a row whose result may hold values not known.
        """
        sessions = []
        for key, session in self._sessions.items():
            if not _keeps(session):
                continue
            item: dict[str, object] = {
                "key": list(key) if isinstance(key, tuple) else [key],
                "last_seen": session.last_seen.isoformat() if session.last_seen else None,
                "temps": {**{temp_id: _temp_state(temp) for temp_id, temp in session.temps.items()},
                          **{GONE + name: gone_state(gone) for name, gone in session.gone.items()}},
            }
            if session.reads:
                item["reads"] = {name: _reads_state(r, session.dropped.get(name)) for name, r in session.reads.items()}
            for name, attribute in _INSTANTS.items():
                if (instant := getattr(session, attribute)) is not None:
                    item.setdefault("reads", {})[name] = [0, [instant.isoformat()]]  # type: ignore[index]
            if _has_results(session):
                item.setdefault("reads", {})[RECENT_NAME] = [0, list(session.recent)]  # type: ignore[index]
            sessions.append(item)
        if self._kept:
            sessions.append({"key": list(KEPT_KEY), "last_seen": None,
                             "temps": {result_id(q): _temp_state(t) for q, t in self._kept.items()}})
        return {"sessions": sessions}

    @classmethod
    def from_state(
        cls, state: Mapping[str, Any], temp_patterns: Sequence[str] = DEFAULT_TEMP_PATTERNS,
        session_idle: timedelta = DEFAULT_SESSION_IDLE,
    ) -> SessionResolver:
        """Rebuild a resolver from :meth:`to_state` output (no pending changes).

        Raises:
            ValueError: the state is not of the documented shape.
        """
        resolver = cls(temp_patterns, session_idle)
        order: list[tuple[int, tuple[object, ...], str]] = []  # (order number, session key, name) of every read
        went: list[tuple[datetime, str, tuple[object, ...], str]] = []  # (when, repr(key), key, name) of names gone
        try:
            for item in state.get("sessions", []):
                if tuple(item["key"]) == KEPT_KEY:  # results kept by id, oldest first
                    kept = sorted(((_temp_from_state(t), temp_id[len(PREFIX):]) for temp_id, t in item["temps"].items()),
                                  key=lambda pair: (pair[0].ended or datetime.min.replace(tzinfo=timezone.utc), pair[1]))
                    resolver._kept = {query_id: temp for temp, query_id in kept}
                    resolver._kept_order = sorted(_kept_key(q, t) for q, t in resolver._kept.items())
                    continue
                session = _Session()
                last_seen = item.get("last_seen")
                session.last_seen = datetime.fromisoformat(last_seen) if last_seen else None
                gone = []
                for temp_id, temp in item["temps"].items():
                    if temp_id.startswith(GONE):
                        gone.append((temp_id[len(GONE):], gone_from_state(temp)))
                        continue
                    session.temps[temp_id] = _temp_from_state(temp)
                    if temp_id.startswith(PREFIX):
                        resolver._results[temp_id[len(PREFIX):]] = tuple(item["key"])
                stored = dict(item.get("reads") or {})
                session.recent = [str(q) for q in (stored.pop(RECENT_NAME, None) or [0, []])[1]][-RECENT_QUERIES:]
                for name, attribute in _INSTANTS.items():
                    instant = (stored.pop(name, None) or [0, []])[1]
                    setattr(session, attribute, datetime.fromisoformat(instant[0]) if instant else None)
                reads = sorted(((int(seq), str(name), *_reads_from_state(kept))
                                for name, (seq, kept) in stored.items()), key=lambda r: r[0])
                for seq, name, kept, dropped in reads:
                    session.reads[name] = (seq, kept)
                    if dropped is not None:
                        session.dropped[name] = dropped
                    order.append((seq, tuple(item["key"]), name))
                    resolver._read_seq = max(resolver._read_seq, seq)
                for name, entry in sorted(gone, key=lambda g: (g[1].temp.ended or _EPOCH, g[0])):
                    session.gone[name] = entry  # least recently gone first
                    went.append((entry.temp.ended or _EPOCH, repr(tuple(item["key"])), tuple(item["key"]), name))
                resolver._sessions[tuple(item["key"])] = session
                if session.last_seen is not None and (resolver.clock is None or session.last_seen > resolver.clock):
                    resolver.clock = session.last_seen
            resolver._read_names = {(key, name): None for _, key, name in sorted(order, key=lambda o: o[0])}
            resolver._gone_names = {(key, name): None for _, _, key, name in sorted(went)}
        except (KeyError, TypeError, IndexError, ValueError) as exc:
            raise ValueError(f"resolver state is not of the documented shape ({exc.__class__.__name__})") from None
        return resolver

    def _move_across(
        self, key: object, session: _Session, record: QueryRecord, st: StatementLineage, target_is_temp: bool
    ) -> list[LineageEvent]:
        """RENAME or SWAP between a temporary and a persistent object.

        The persistent side ends up with the temp's content: a REPLACE event with the
        temp's upstreams (dbt's rename-based materializations). The temp side's new
        content (the persistent object's old one) is unknown here, so it is forgotten;
        a persistent object renamed to a temp name disappears: a DROP event.
        """
        if st.target is None or st.counterpart is None:
            return []
        temp, persistent = (st.target, st.counterpart) if target_is_temp else (st.counterpart, st.target)
        self._leave(key, session, record, temp.id, (persistent,) if target_is_temp or st.operation is
                    Operation.SWAP else ())
        entry = session.temps.pop(temp.id, None)
        if st.operation is Operation.RENAME and not target_is_temp:
            return [_event(record, Operation.DROP, persistent, [], set(), False, None, ())]
        if entry is None:
            self.unresolved.append(UnresolvedTempRead(record.query_id, temp.id, persistent.id))
            return []
        sources = list(entry.upstreams.values())  # the persistent side itself when the temp read it
        via = {temp.id, *entry.via}
        columns = _edges(persistent, entry.columns)
        return [_event(record, Operation.REPLACE, persistent, sources, via, True, None, columns,
                       entry.roles or {""}, entry.since, entry.points)]

    def _is_temp(self, session: _Session, ref: DatasetRef, flagged: bool) -> bool:
        return flagged or ref.id in session.temps or is_temp_name(ref.id, self._temp_re)

    def _shadowed(self, session: _Session, st: StatementLineage, target: DatasetRef) -> bool:
        """Return True when ``st`` creates a permanent object of a name its session holds as a declared
        temporary table: ``CREATE [OR REPLACE] TABLE|VIEW`` (CTAS, CLONE) without ``TEMPORARY``.

        Snowflake ("Working with Temporary and Transient Tables", potential naming conflicts,
        https://docs.snowflake.com/en/user-guide/tables-temp-transient): a table may be created with the
        name of a temporary table of the same schema; it is a permanent table, hidden by the temporary
        one in that session only. Names matching the temp patterns stay temporary (dbt's ``__dbt_tmp``
        relations are created without the word)."""
        return (not st.temporary and st.operation in _CREATES and target.id in session.temps
                and not is_temp_name(target.id, self._temp_re))

    def _resolve_columns(
        self, temps: Mapping[str, _Temp], st: StatementLineage, target: DatasetRef
    ) -> ColumnMap | tuple[ColumnLineage, ...]:
        """Return the statement's column edges with temp sources composed through the temps.

        The statement's own edges, unchanged, when it reads no temporary object (the
        common case, kept cheap); else a column map (see :mod:`.column_compose`).
        """
        if not st.columns or not (target.id in temps or any(
                s.id in temps or is_temp_name(s.id, self._temp_re) for s in st.sources)):
            return st.columns

        def lookup(dataset_id: str) -> ColumnMap | None:
            temp = temps.get(dataset_id)
            if temp is not None:
                return temp.columns
            return {} if is_temp_name(dataset_id, self._temp_re) else None  # unknown temp: dropped

        return compose_columns(target.id, st.columns, lookup)[0]

    def _resolve(
        self, temps: Mapping[str, _Temp], record: QueryRecord, sources: Sequence[DatasetRef], target: DatasetRef,
        points: Mapping[str, datetime],
    ) -> tuple[list[DatasetRef], set[str], dict[str, datetime]]:
        """Return the persistent sources read (through temps), the temps on the way and the Time
        Travel points of those sources (the row's own, or those the temps were filled with: the
        earliest per source)."""
        resolved: dict[str, DatasetRef] = {}
        via: set[str] = set()
        read: dict[str, datetime] = {}
        for src in sources:
            temp = temps.get(src.id)
            if temp is not None:
                via.add(src.id)
                via.update(temp.via)
                for ref in temp.upstreams.values():
                    resolved.setdefault(ref.id, ref)
                _earliest(read, temp.points)
            elif is_temp_name(src.id, self._temp_re):
                self.unresolved.append(UnresolvedTempRead(record.query_id, src.id, target.id))
            else:
                resolved.setdefault(src.id, src)
                if src.id in points:
                    _earliest(read, {src.id: points[src.id]})
        return list(resolved.values()), via, read

    def _write_temp(
        self,
        key: object,
        session: _Session,
        record: QueryRecord,
        operation: Operation,
        target: DatasetRef,
        sources: list[DatasetRef],
        via: set[str],
        counterpart: DatasetRef | None,
        columns: ColumnMap | tuple[ColumnLineage, ...],
        roles: set[str],
        since: datetime,
        points: dict[str, datetime],
    ) -> None:
        """Apply a write to the temp ``target``; a name that stops naming its temp (DROP, RENAME, SWAP, a
        replace) keeps what it held for rows read late (:meth:`~.temp_late.LateRows._leave`)."""
        temps = session.temps
        if operation is Operation.DROP:
            self._leave(key, session, record, target.id)
            temps.pop(target.id, None)
        elif operation is Operation.RENAME:
            self._leave(key, session, record, target.id, (counterpart,) if counterpart is not None else ())
            moved = temps.pop(target.id, None)
            if moved is not None and counterpart is not None:
                temps[counterpart.id] = moved
        elif operation is Operation.SWAP:
            self._leave(key, session, record, target.id, (counterpart,) if counterpart is not None else ())
            if counterpart is not None:
                self._leave(key, session, record, counterpart.id, (target,))
            mine = temps.pop(target.id, None)
            other = temps.pop(counterpart.id, None) if counterpart is not None else None
            if other is not None:
                temps[target.id] = other
            if mine is not None and counterpart is not None:
                temps[counterpart.id] = mine
        elif operation in _RESETS:
            self._leave(key, session, record, target.id)
            temps[target.id] = _Temp({s.id: s for s in sources}, set(via), _column_map(target, columns), set(roles),
                                     since, dict(points))
        elif operation in _IN_PLACE and target.id not in temps:
            return  # an UPDATE / DELETE of a temp never seen written: a later read stays unresolved
        else:
            entry = temps.setdefault(target.id, _Temp())
            for src in sources:
                entry.upstreams.setdefault(src.id, src)
            entry.via.update(via)
            entry.roles.update(roles)
            if entry.since is None or since < entry.since:
                entry.since = since
            _earliest(entry.points, points)
            merge_columns(entry.columns, _column_map(target, columns))


def _event(
    record: QueryRecord,
    operation: Operation,
    target: DatasetRef,
    sources: Sequence[DatasetRef],
    via: set[str],
    replaces: bool,
    counterpart: DatasetRef | None,
    columns: tuple[ColumnLineage, ...],
    via_roles: set[str] = frozenset(),  # type: ignore[assignment]
    via_since: datetime | None = None,
    points: Mapping[str, datetime] | None = None,
) -> LineageEvent:
    return LineageEvent(
        at=record.end_time,
        query_id=record.query_id,
        query_type=record.query_type,
        operation=operation,
        target=target,
        sources=tuple(sources),
        replaces=replaces,
        counterpart=counterpart,
        via=tuple(sorted(via)),
        columns=columns,
        via_roles=tuple(sorted(via_roles)),
        via_since=via_since if via_since is not None and via_since < record.end_time else None,
        read_points=_points_of(sources, points or {}),
    )


def _points_of(sources: Sequence[DatasetRef], points: Mapping[str, datetime]) -> tuple[tuple[str, datetime], ...]:
    """Return an event's ``read_points``: ``(source id, instant)`` of the sources read at a point, sorted."""
    return tuple(sorted((s.id, points[s.id]) for s in sources if s.id in points))


def _earliest(into: dict[str, datetime], points: Mapping[str, datetime]) -> None:
    """Merge ``points`` into ``into``, keeping the earliest instant per source."""
    for source, instant in points.items():
        if source not in into or instant < into[source]:
            into[source] = instant


def _column_map(target: DatasetRef, columns: ColumnMap | tuple[ColumnLineage, ...]) -> ColumnMap:
    """Return column edges as a column map (a temp keeps its lineage in that shape)."""
    if isinstance(columns, dict):
        return columns
    return compose_columns(target.id, columns, lambda _dataset_id: None)[0]


def _edges(target: DatasetRef, columns: ColumnMap | tuple[ColumnLineage, ...]) -> tuple[ColumnLineage, ...]:
    """Return the column edges of an event into ``target``, sorted by (target, source, kind)."""
    if not isinstance(columns, dict):
        return columns
    return tuple(sorted(column_lineage(target.id, columns), key=lambda e: (e.target, e.source, e.kind)))


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_SELECT = DatasetRef(id="<select>", name="<select>")
"""The pseudo-dataset a query's output columns go into (:mod:`.query_columns`)."""


def _returns_rows(result: ExtractionResult) -> bool:
    """Return True when the row's last statement is a query (its result set holds what it read)."""
    return bool(result.statements) and result.statements[-1].operation is Operation.QUERY


def _has_results(session: _Session) -> bool:
    """Return True when the session remembers a result set (its recent queries are then worth keeping)."""
    return bool(session.recent) and any(t.startswith(PREFIX) for t in session.temps)


def _names(st: StatementLineage) -> tuple[str, ...]:
    """Return the ids a statement may write or move: its target and counterpart."""
    return tuple(ref.id for ref in (st.target, st.counterpart) if ref is not None)


def _key_tuple(key: object) -> tuple[object, ...]:
    return tuple(key) if isinstance(key, tuple) else (key,)


def session_key(record: QueryRecord) -> object:
    """Return the key that scopes temporary objects for ``record``.

    Returns:
        ``("session", session_id)`` when present, else ``("user_db", user_name,
        database_name)`` with names upper-cased.
    """
    if record.session_id:
        return ("session", record.session_id)
    return ("user_db", (record.user_name or "").upper(), (record.database_name or "").upper())
