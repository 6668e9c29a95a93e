"""What a session resolver keeps of a temporary object, and its crawl-state shape (JSON).

Pure: no I/O. Shared by :mod:`.temp_tables` (the resolver) and :mod:`.temp_late` (rows read out of
``END_TIME`` order). The shapes are those of ``SessionResolver.to_state()`` (stored row by row in
``crawl_temp`` and ``crawl_reads``); keys absent from older states mean "not known".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lineage_engine.model import ColumnLineage, DatasetRef
from lineage_engine.parsing.column_compose import ColumnMap, columns_from_state, columns_to_state, merge_columns


@dataclass(slots=True)
class Temp:
    """A temporary object's content, as the statements that wrote it left it (a snapshot of their reads)."""

    upstreams: dict[str, DatasetRef] = field(default_factory=dict)  # id -> ref, insertion order
    via: set[str] = field(default_factory=set)
    columns: ColumnMap = field(default_factory=dict)  # column name -> upstream column edges
    roles: set[str] = field(default_factory=set)  # upper-case roles of the statements that wrote it ("": unknown)
    since: datetime | None = None  # earliest write into it or into the temps it read (None: not known)
    points: dict[str, datetime] = field(default_factory=dict)  # upstream id -> earliest Time Travel point read
    ended: datetime | None = None  # a remembered result set (#$result:<id>): its query's END_TIME; a name gone: when


@dataclass(frozen=True, slots=True)
class Read:
    """A statement that read a name (a persistent object, or a temporary one of its session) and wrote a
    target: what it would have read, had the temp of that name held more (a temp created or written by a
    row read later that ended earlier, :mod:`.temp_late`)."""

    at: datetime
    query_id: str
    query_type: str
    target: DatasetRef
    columns: tuple[ColumnLineage, ...]  # its column edges out of that name
    role: str


@dataclass(frozen=True, slots=True)
class Move:
    """Where a temporary object's content went when its name stopped naming it (a RENAME's new name,
    a SWAP's other side): the row that moved it, at its END_TIME ``at``."""

    to: DatasetRef
    at: datetime
    query_id: str
    query_type: str
    role: str


@dataclass(slots=True)
class Gone:
    """A temporary object's name that stopped naming it: renamed or swapped away, dropped, or replaced.

    ``temp`` is what the name held then and ``temp.ended`` the END_TIME of the row that did it;
    ``moves`` where the content went (none for a DROP or a replace). A row of the session that ended
    before ``temp.ended`` but is read after it read (or wrote) this content, not what the name holds
    now. The same name gone again merges into the entry (the union, the latest instant, every move: a
    superset, never a lost path)."""

    temp: Temp
    moves: tuple[Move, ...] = ()


@dataclass(slots=True)
class Session:
    """What a resolver keeps of one session (see ``SessionResolver``)."""

    temps: dict[str, Temp] = field(default_factory=dict)
    last_seen: datetime | None = None
    reads: dict[str, tuple[int, list[Read]]] = field(default_factory=dict)
    """Name read (a persistent object, or a temp of the session) -> (order number, its latest reads), least
    recently read first; kept in the crawl state with the temps (``crawl_reads``), so any cut of the history
    resolves alike."""
    recent: list[str] = field(default_factory=list)
    """Query ids of the session's last ``RECENT_QUERIES`` rows, in the order read (oldest first):
    what ``LAST_QUERY_ID(-k)`` names. Their remembered result sets are temps ``#$result:<query id>``."""
    gone: dict[str, Gone] = field(default_factory=dict)
    """Temp names that stopped naming their temp, least recently gone first (:mod:`.temp_late`)."""
    dropped: dict[str, datetime] = field(default_factory=dict)
    """Name read -> the latest END_TIME of its reads dropped past the latest ``READS_PER_NAME`` (only names
    still in :attr:`reads`): a write into that name that ended before it may have missed one (:mod:`.temp_late`)."""
    forgot: datetime | None = None
    """The latest END_TIME of a read whose whole name the session forgot (a bound of :mod:`.temp_late`), None
    when it forgot none: a write into any name that ended before it may have missed a reader."""
    gone_forgot: datetime | None = None
    """The latest instant a name gone that the session forgot stopped naming its temp (the bound
    ``GONE_KEPT`` of :mod:`.temp_late`), None when it forgot none: a row that ended before it may have named
    that temp as it was, which the session no longer knows."""


def copy_temp(temp: Temp) -> Temp:
    """Return a copy of ``temp`` that shares no mutable part with it."""
    columns = {name: dict(edges) for name, edges in temp.columns.items()}
    return Temp(dict(temp.upstreams), set(temp.via), columns, set(temp.roles), temp.since, dict(temp.points),
                temp.ended)


def merge_temp(into: Temp, other: Temp) -> None:
    """Add ``other``'s content to ``into`` (what a write that adds does): upstreams, via, column edges (the
    most revealing per key), roles, the earliest ``since`` and Time Travel point per upstream."""
    for ref in other.upstreams.values():
        into.upstreams.setdefault(ref.id, ref)
    into.via.update(other.via)
    merge_columns(into.columns, other.columns)
    into.roles.update(other.roles)
    if other.since is not None and (into.since is None or other.since < into.since):
        into.since = other.since
    for source, instant in other.points.items():
        if source not in into.points or instant < into.points[source]:
            into.points[source] = instant


def temp_state(temp: Temp) -> dict[str, object]:
    """Return the JSON shape of ``temp`` (``SessionResolver.to_state()``'s temps)."""
    state: dict[str, object] = {
        "upstreams": [[r.id, r.name, r.kind] for r in temp.upstreams.values()],
        "via": sorted(temp.via),
    }
    if temp.columns:
        state["columns"] = columns_to_state(temp.columns)
    if temp.roles:
        state["roles"] = sorted(temp.roles)
    if temp.since is not None:
        state["since"] = temp.since.isoformat()
    if temp.points:
        state["points"] = {source: instant.isoformat() for source, instant in sorted(temp.points.items())}
    if temp.ended is not None:
        state["ended"] = temp.ended.isoformat()
    return state


def temp_from_state(temp: Mapping[str, Any]) -> Temp:
    """Return the temp of a :func:`temp_state` (keys absent from older states: not known)."""
    upstreams = {u[0]: DatasetRef(id=u[0], name=u[1], kind=u[2]) for u in temp["upstreams"]}
    columns = columns_from_state(temp.get("columns") or {})
    roles = {str(r) for r in temp.get("roles") or [""]}  # not kept before: unknown
    since = datetime.fromisoformat(temp["since"]) if temp.get("since") else None
    points = {str(s): datetime.fromisoformat(p) for s, p in (temp.get("points") or {}).items()}
    ended = datetime.fromisoformat(temp["ended"]) if temp.get("ended") else None
    return Temp(upstreams, set(temp["via"]), columns, roles, since, points, ended)


def gone_state(gone: Gone) -> dict[str, object]:
    """Return the JSON shape of ``gone``: its temp's :func:`temp_state` plus ``moves``: ``[[[id, name, kind],
    ISO-8601, query_id, query_type, ROLE], ...]``."""
    return {**temp_state(gone.temp), "moves": [[[m.to.id, m.to.name, m.to.kind], m.at.isoformat(), m.query_id,
                                                 m.query_type, m.role] for m in gone.moves]}


def gone_from_state(state: Mapping[str, Any]) -> Gone:
    """Return the entry of a :func:`gone_state`."""
    moves = tuple(Move(DatasetRef(id=to[0], name=to[1], kind=to[2]), datetime.fromisoformat(at), str(query_id),
                       str(query_type), str(role)) for to, at, query_id, query_type, role in state["moves"])
    return Gone(temp_from_state(state), moves)


def reads_state(remembered: tuple[int, list[Read]], dropped: datetime | None = None) -> list[object]:
    """Return the JSON shape of one name's remembered reads: ``[order, [[end_time, query_id, query_type,
    [target id, name, kind], [[source, target, transform, kind, confidence], ...], ROLE], ...]]``, the
    list led by ``dropped`` as an ISO-8601 string when reads of the name were dropped (see
    :attr:`Session.dropped`)."""
    seq, reads = remembered
    kept: list[object] = [dropped.isoformat()] if dropped is not None else []
    kept.extend([r.at.isoformat(), r.query_id, r.query_type, [r.target.id, r.target.name, r.target.kind],
                 [[e.source, e.target, e.transform, e.kind, e.confidence] for e in r.columns], r.role]
                for r in reads)
    return [seq, kept]


def reads_from_state(data: Sequence[Any]) -> tuple[list[Read], datetime | None]:
    """Return the reads of a :func:`reads_state`'s list and the instant reads of the name were dropped
    until (None: none dropped, or a state written before it was kept)."""
    dropped = datetime.fromisoformat(data[0]) if data and isinstance(data[0], str) else None
    return [read_from_state(r) for r in data[dropped is not None:]], dropped


def read_from_state(data: Sequence[Any]) -> Read:
    """Return one read of a :func:`reads_state`."""
    at, query_id, query_type, (target_id, name, kind), columns, role = data
    return Read(datetime.fromisoformat(at), str(query_id), str(query_type), DatasetRef(id=target_id, name=name, kind=kind),
                tuple(ColumnLineage(source=e[0], target=e[1], transform=e[2], kind=e[3], confidence=float(e[4]))
                      for e in columns), str(role))
