"""Walk lineage downstream from sensitive origins, respecting time (design §6, §7).

Pure: stdlib and :mod:`lineage_engine.model` only. This module defines what **"exposure as
of T"** means for the product; the exposure scan calls it instead of enumerating paths in
Cypher (path enumeration grows with the number of paths, not edges, and runs out of memory
on dense lineage).

Input: every ``DERIVES_FROM`` interval (``GraphStore.iter_edges(None)``), an instant ``T``
(aware UTC; the scan's ``now``, or a past instant), the origin dataset ids, the masked
datasets (registry masking policy other than ``NONE``), the *live* datasets (views) and
``max_hops`` (default 10).

Holding windows. During the walk from one origin, a dataset ``X`` *holds origin data*
during a window ``[arrive_X, leave_X)``:

- The origin holds during ``(-inf, +inf)``: its registry classification says it holds the
  data now, and we do not guess when it started to (simple and conservative).
- An interval ``D DERIVES_FROM U`` counts only if ``valid_from <= T``. Its *derivation
  window* is ``[start, end]`` with ``start = valid_from`` and ``end = min(last_seen, T)``:
  the instants at which a statement is known to have read ``U`` into ``D``. An interval
  whose ``first_seen`` is earlier than ``valid_from`` copied ``U``'s content of that earlier
  instant (a Time Travel read ``AT | BEFORE``, :mod:`lineage_engine.parsing.time_travel`, or
  a temp filled earlier): its window meets ``U`` from ``first_seen`` (``reach``), while
  ``D`` still receives the data at ``start``. An interval made by one such read alone
  (:func:`single_read_of_the_past`) derives at that instant only: its window is
  ``[first_seen, first_seen]``.
- ``D`` *received* origin data through it when the derivation window meets ``U``'s holding
  window: ``start <= leave_U`` and ``end >= arrive_U``. Both equalities count: event times
  are statement end times, so a copy that ends at the instant ``U`` was replaced or dropped
  read ``U`` before that instant, and the graph cannot order two statements ending at the
  same instant. (Conservative: same-instant cases are reported.)
- Then ``D`` holds from ``arrive_D = max(arrive_U, start)`` until ``leave_D = valid_to``
  when the interval closed at or before ``T`` (``D`` was replaced without ``U``, or
  dropped, or renamed away), else ``+inf``: ``D`` still holds what it copied, whatever
  happened to ``U`` since. That is the point of the walk: an intermediate that was dropped
  or replaced after a downstream copied it no longer hides the copy.
- **Views are live**: a view stores nothing; it shows its upstream's *current* content.
  For a downstream in ``live`` the derivation window runs to ``valid_to`` (or ``T`` while
  open) and ``leave_D = min(leave_U, leave of the interval)``: a view over a table that is
  loaded with PII after the view was created exposes it, and a view over a dropped table
  exposes nothing.
- **Dynamic tables refresh**: an interval written by ``CREATE DYNAMIC TABLE`` (``query_type``
  in :data:`REFRESH_QUERY_TYPES`) derives during its whole validity, like a view's (window to
  ``valid_to`` or ``T``): data reaching the base after the creation reaches the dynamic table
  at its next refresh (counted at once: no lag). Unlike a view, it keeps what it holds
  (``leave_D`` is the interval's, not its upstream's: it keeps its rows when its base is
  dropped), and masking is a table's (the copy holds what the creating, owner, role saw).
- **Identity moves** (RENAME, SWAP: ``query_type`` in ``move_query_types``) open the moved
  intervals at the rename instant, although the content was derived earlier under the old
  name. Such an interval inherits the earliest derivation start of the intervals from the
  same upstream that closed at that instant on another downstream (the old name); when none
  is found its start is unbounded (``-inf``, conservative).

Several routes to one dataset are merged conservatively: the holding window is the hull
(earliest arrival, latest leave) over every route of at most ``max_hops`` edges. The hull
may report a copy that happened in a gap between two holding windows: a false positive
by design, never a false negative.

Exposure at ``T``: a dataset ``D`` other than the origin that holds origin data at ``T``
(``leave_D = +inf``), is not masked, and was reached without passing *through* a masked
dataset (masked datasets are reached but never expanded and never terminal; the origin's
own masking does not stop the walk, as in :mod:`.paths` rule 4). The governed-terminal
rule and the registry facts are applied afterwards by :func:`.paths.find_exposure_paths`.

Path. Each hit carries one path, ids terminal first and origin last (as
:class:`~lineage_engine.model.ExposurePath` documents): the fewest hops, ties broken by the
lexicographically smallest id sequence, among the routes whose *last* interval still holds
at ``T``. Intermediates on it may have been dropped or replaced since. The windows that
decide exposure are the hull over all routes, so on rare graphs the path shown is the
shortest route to the terminal rather than the one whose timing exposed it.

Cost. One pass per origin, in at most ``max_hops`` rounds; a round relaxes only the
outgoing intervals of datasets whose window or path changed in the previous round, so a
walk is ``O(max_hops x intervals)`` at worst and usually near ``O(intervals)``. No path is
enumerated; cycles terminate (windows only grow, and rounds are bounded).

Limits, all on the side of reporting more: an interval stores only its first and last
derivation, so any instant between them counts as a derivation; an interval opened by a
rename and later re-observed by an INSERT loses its move marker (its start becomes the
rename instant); and masking comes from the registry only (the scan passes registry facts).
This module walks datasets; :mod:`.column_walk` applies the same rules to column edges (and
their ``masked`` transforms), falling back to this walk where column lineage is unknown.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from lineage_engine.model import EdgeRow

DEFAULT_MAX_HOPS = 10

MOVE_QUERY_TYPES: frozenset[str] = frozenset(
    {"ALTER_TABLE", "ALTER_VIEW", "RENAME_TABLE", "RENAME_VIEW", "ALTER_TABLE_SWAP", "SWAP", "RENAME", "UNDROP"}
)
"""Snowflake ``QUERY_TYPE`` values of statements that move identity (RENAME, SWAP)."""

REFRESH_QUERY_TYPES: frozenset[str] = frozenset({"CREATE_DYNAMIC_TABLE"})
"""Snowflake ``QUERY_TYPE`` values of statements whose target keeps refreshing from its query
(a dynamic table: "automatically refresh based on a defined query and target freshness",
Snowflake user guide "Dynamic tables"): the walk reads their intervals as refreshing."""

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_US = timedelta(microseconds=1)
_NEG = -math.inf
_POS = math.inf


def _micros(value: datetime) -> int:
    return (value - _EPOCH) // _US


def from_micros(value: float) -> datetime | None:
    """Return a walk instant (UTC microseconds) as an aware datetime; None for an infinity."""
    return None if math.isinf(value) else _EPOCH + timedelta(microseconds=int(value))


@dataclass(frozen=True, slots=True)
class Holding:
    """A dataset that holds data of an origin at the walk's instant (an exposure candidate).

    Attributes:
        origin: the origin dataset id.
        dataset: the dataset holding its data (the terminal), never the origin.
        path: ids terminal first, origin last; ``len(path) - 1`` hops.
        arrived: earliest instant (UTC) the data can have reached ``dataset``; None when
            unbounded (an identity move of unknown history).
    """

    origin: str
    dataset: str
    path: tuple[str, ...]
    arrived: datetime | None

    @property
    def hops(self) -> int:
        """Return the number of lineage edges on :attr:`path`."""
        return len(self.path) - 1

    def as_row(self) -> dict[str, object]:
        """Return the trace-row shape :func:`.paths.find_exposure_paths` reads (bare ids)."""
        return {"origin": self.origin, "terminal": self.dataset, "hops": self.hops, "path": list(self.path),
                "arrived": self.arrived}


# One relaxable interval: (downstream, start, end, leave, live, reach); times in UTC microseconds.
# ``reach`` is where the derivation window meets the upstream: ``start``, or earlier for a copy of
# the upstream's earlier content (a Time Travel read, a temp filled earlier: ``first_seen``).
_Step = tuple[str, float, float, float, bool, float]


@dataclass(frozen=True, slots=True)
class EdgeIndex:
    """The intervals of a graph prepared for walks as of one instant (build once per scan).

    Attributes:
        as_of: the instant ``T`` (aware UTC).
        steps: upstream id -> outgoing intervals valid by ``T``, as relaxation tuples.
        intervals: how many intervals were kept (``valid_from <= T``, not self-loops).
    """

    as_of: datetime
    steps: dict[str, tuple[_Step, ...]]
    intervals: int


def build_edge_index(
    edges: Iterable[EdgeRow],
    *,
    as_of: datetime,
    live: Collection[str] = (),
    move_query_types: Collection[str] = MOVE_QUERY_TYPES,
) -> EdgeIndex:
    """Prepare edge intervals for :func:`walk_origin` as of ``as_of``.

    Args:
        edges: every interval (``iter_edges(None)``), any order; datetimes aware UTC.
        as_of: the instant ``T``, aware.
        live: dataset ids whose content is read live from their upstreams (views).
        move_query_types: ``query_type`` values of RENAME / SWAP statements (upper-case).

    Raises:
        ValueError: ``as_of`` is naive.
    """
    if as_of.tzinfo is None or as_of.utcoffset() is None:
        raise ValueError("build_edge_index needs an aware UTC 'as_of'")
    t = _micros(as_of)
    live_ids = frozenset(live)
    moves = frozenset(q.upper() for q in move_query_types)
    rows = sorted(
        (r for r in edges if r.downstream != r.upstream and _micros(r.valid_from) <= t),
        key=lambda r: (r.valid_from, r.downstream, r.upstream),
    )
    # (upstream, closed at) -> (downstream, derivation start) of intervals closed then.
    closed: dict[tuple[str, int], list[tuple[str, float]]] = {}
    steps: dict[str, list[_Step]] = {}
    for row in rows:
        valid_from = _micros(row.valid_from)
        start: float = valid_from
        if row.query_type.upper() in moves:
            before = [s for d, s in closed.get((row.upstream, valid_from), ()) if d != row.downstream]
            start = min(before, default=_NEG)
        valid_to = _micros(row.valid_to) if row.valid_to is not None else None
        leave = float(valid_to) if valid_to is not None and valid_to <= t else _POS
        is_live = row.downstream in live_ids
        refreshes = row.query_type.upper() in REFRESH_QUERY_TYPES
        if is_live or refreshes:
            end = float(min(valid_to, t)) if valid_to is not None else float(t)
        else:
            end = float(max(valid_from, min(_micros(row.last_seen), t)))
        if valid_to is not None:
            closed.setdefault((row.upstream, valid_to), []).append((row.downstream, start))
        reach = min(start, float(_micros(row.first_seen))) if row.first_seen < row.valid_from else start
        if not is_live and not refreshes and single_read_of_the_past(row):
            end = reach  # one statement read the upstream as it was then, and nothing else
        steps.setdefault(row.upstream, []).append((row.downstream, start, end, leave, is_live, reach))
    return EdgeIndex(as_of=as_of, steps={u: tuple(s) for u, s in steps.items()}, intervals=len(rows))


def single_read_of_the_past(row: EdgeRow) -> bool:
    """Return True for an interval made by one Time Travel read (``FROM u AT (...)``) alone.

    Its ``first_seen`` is the point read, earlier than ``valid_from``; one observation and no
    ``via`` (a copy out of a temp filled earlier has a ``via``, and may have been refilled
    since): the interval copied ``U``'s content at that one instant, so its derivation window
    is that instant. Re-observed by any other statement, the window is the hull again. A point
    not known is stored as the epoch (``parsing.time_travel.ANY_EARLIER``): a window from it.
    """
    return _EPOCH < row.first_seen < row.valid_from and row.observations == 1 and not row.via


def walk_origin(
    index: EdgeIndex,
    origin: str,
    *,
    masked: Callable[[str], bool] | Collection[str] = (),
    max_hops: int = DEFAULT_MAX_HOPS,
    load: Callable[[list[str]], None] | None = None,
    windows: dict[str, Window] | None = None,
) -> list[Holding]:
    """Return the datasets holding ``origin``'s data at ``index.as_of`` (see the module doc).

    Args:
        index: from :func:`build_edge_index`.
        origin: the origin dataset id (walked even when it is masked itself).
        masked: masked dataset ids, or a predicate on an id; masked datasets are neither
            expanded nor returned.
        max_hops: longest route considered, in lineage edges (>= 1).
        load: called with each round's frontier (the datasets about to be expanded)
            before their intervals are read from ``index.steps``, so that a caller can
            fill ``index.steps`` as the walk goes (a trace reading only what it reaches).
        windows: when given, filled with every dataset reached (the origin included) and
            its holding window ``(arrive, leave, path)`` in UTC microseconds, also those
            that no longer hold at T (access history, :mod:`lineage_engine.access.windows`).

    Returns:
        One :class:`Holding` per dataset, sorted by dataset id; the governed-terminal rule
        is not applied here.

    Raises:
        ValueError: ``max_hops`` is below 1.
    """
    if max_hops < 1:
        raise ValueError(f"max_hops must be at least 1, got {max_hops}")
    is_masked = masked if callable(masked) else frozenset(masked).__contains__
    steps = index.steps
    # dataset -> [arrive, leave, path]; path terminal first, origin last.
    state: dict[str, Window] = {origin: (_NEG, _POS, (origin,))}
    held: dict[str, Held] = {}  # routes whose last interval holds at T
    frontier = [origin]
    for _ in range(max_hops):
        if load is not None:
            load(frontier)
        updates: dict[str, Window] = {}
        for upstream in frontier:
            relax(steps.get(upstream, ()), state[upstream], origin, state, updates, held)
        frontier = advance(state, updates, is_masked)
        if not frontier:
            break
    if windows is not None:
        windows.update(state)
    return [
        Holding(origin=origin, dataset=d, path=held[d][1], arrived=from_micros(held[d][2]))
        for d in sorted(held)
        if not is_masked(d)
    ]


Window = tuple[float, float, tuple[str, ...]]
"""A node's holding window during a walk: (arrive, leave, best path terminal first), UTC µs."""
Held = tuple[int, tuple[str, ...], float]
"""A node holding at T: (hops + 1, best path, earliest arrival)."""


def relax(
    steps: Iterable[_Step],
    window: Window,
    skip: str,
    state: dict[str, Window],
    updates: dict[str, Window],
    held: dict[str, Held],
    rename: Callable[[str], str] | None = None,
) -> None:
    """Relax the intervals ``steps`` out of a node holding during ``window`` (one walk round).

    A downstream is reached when the interval's derivation window meets ``window``; its
    window joins ``updates`` (hull of routes, see :func:`merge_routes`) and, when it still
    holds at T, ``held``. ``skip`` (the origin) is never reached; ``rename`` maps a
    downstream id first (a column walk's ``t.*`` onto the column's name).
    """
    arrive_u, leave_u, path_u = window
    for downstream, start, end, leave, live, reach in steps:
        if rename is not None:
            downstream = rename(downstream)
        if downstream == skip or reach > leave_u or end < arrive_u:
            continue
        arrive = arrive_u if arrive_u > start else start
        if live and leave_u < leave:
            leave = leave_u
        path = (downstream, *path_u)
        if leave == _POS:
            best = held.get(downstream)
            if best is None or (len(path), path) < (best[0], best[1]):
                held[downstream] = (len(path), path, arrive if best is None else min(arrive, best[2]))
            elif arrive < best[2]:
                held[downstream] = (best[0], best[1], arrive)
        old = updates.get(downstream) or state.get(downstream)
        updates[downstream] = merge_routes(old, arrive, leave, path)


def advance(state: dict[str, Window], updates: dict[str, Window], masked: Callable[[str], bool]) -> list[str]:
    """Apply one round's updates to ``state``; return the nodes to expand next, sorted.

    A node is expanded again when its window or path changed and it is not masked (masked
    nodes are reached but never expanded).
    """
    frontier = []
    for node, new in updates.items():
        if state.get(node) != new:
            state[node] = new
            if not masked(node):
                frontier.append(node)
    frontier.sort()
    return frontier


def merge_routes(old: Window | None, arrive: float, leave: float, path: tuple[str, ...]) -> Window:
    """Hull of the holding windows; the fewest-hops, then lexicographically smallest path."""
    if old is None:
        return (arrive, leave, path)
    old_arrive, old_leave, old_path = old
    best = path if (len(path), path) < (len(old_path), old_path) else old_path
    return (min(old_arrive, arrive), max(old_leave, leave), best)


def find_holdings(
    edges: Iterable[EdgeRow],
    origins: Iterable[str],
    *,
    as_of: datetime,
    masked: Callable[[str], bool] | Collection[str] = (),
    live: Collection[str] = (),
    max_hops: int = DEFAULT_MAX_HOPS,
    move_query_types: Collection[str] = MOVE_QUERY_TYPES,
) -> list[Holding]:
    """Return every dataset holding an origin's data at ``as_of``, for all ``origins``.

    Builds one :class:`EdgeIndex` and walks each origin (see the module doc for the
    semantics). Args as in :func:`build_edge_index` and :func:`walk_origin`.

    Returns:
        Holdings sorted by origin, then dataset id.
    """
    index = build_edge_index(edges, as_of=as_of, live=live, move_query_types=move_query_types)
    out: list[Holding] = []
    for origin in sorted(set(origins)):
        out.extend(walk_origin(index, origin, masked=masked, max_hops=max_hops))
    return out
