"""The dataset walk of :mod:`lineage_engine.exposure.walk` on numpy arrays (issue 13 §6).

Same answer, other cost. :mod:`lineage_engine.exposure.walk` defines what "exposure as of
T" means and stays the reference (pure stdlib; the column walk builds on it). This module
computes exactly the same :class:`~lineage_engine.exposure.walk.Holding` rows for dataset
origins, for graphs of millions of intervals:

- **Compact input** (:class:`WalkEdges`): datasets are integers (their rank in the sorted
  ids, so integer order is id order), times are UTC microseconds in ``int64``; only the
  fields the walk reads (downstream, upstream, valid_from, valid_to, last_seen, whether the
  statement moved identity). About 40 bytes per interval instead of an :class:`EdgeRow`
  with its datetimes (~500 bytes) and the row dicts it is built from.
- **Vectorised rounds**: each of the ``max_hops`` rounds of the reference is one pass of
  array operations over the outgoing intervals of the round's frontier (gather, compare,
  scatter-min/max); a round is a function of the state at its start (the reference relaxes
  from ``state`` and applies ``updates`` afterwards), so doing its relaxations at once
  changes nothing.
- **Paths without tuples**: the reference carries each node's best path as a tuple and
  compares ``(len(path), path)``. A candidate path into ``D`` is ``(D, *path(U))`` and
  ``path(U)`` starts with ``U``: two candidates through different upstreams compare by
  ``(len, U)`` alone. Through the *same* upstream, the candidate carries ``U``'s current path
  and the stored one a snapshot of an earlier path of ``U``; a node's path only ever gets
  smaller (:func:`~lineage_engine.exposure.walk.merge_routes` keeps the minimum), so the
  current one is smaller or equal, and it is equal exactly when ``U``'s path has not changed
  since the snapshot. Paths are therefore stored as immutable cells ``(node, parent cell)``
  and compared by ``(len, upstream rank)`` plus the identity of the parent's cell: a new
  cell is made only when a path strictly improves. ``tests/test_walk_arrays.py`` checks the
  equality with the reference on random temporal graphs (cycles, views, moves, masking).

Cost: ``O(max_hops x intervals)`` numpy work per origin at worst, ``O(intervals)`` memory
(no per-path structure). Results stay columnar (:class:`HoldingColumns`): a :class:`Holding`
and its path tuple are built when read, so a caller pays Python-level work only for the
holdings it reads.
"""

from __future__ import annotations

import gc
import math
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, overload

import numpy as np

from lineage_engine.exposure.walk import DEFAULT_MAX_HOPS, MOVE_QUERY_TYPES, REFRESH_QUERY_TYPES, Holding
from lineage_engine.model import EdgeRow

NEG = -(2**62)
"""Minus infinity in walk microseconds (an unbounded arrival)."""
POS = 2**62
"""Plus infinity in walk microseconds (still holds; also a null ``valid_to``)."""

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_US = timedelta(microseconds=1)


def micros(value: datetime) -> int:
    """Return an aware datetime as UTC microseconds since the epoch."""
    return (value - _EPOCH) // _US


@dataclass(frozen=True, slots=True)
class WalkEdges:
    """Dataset edge intervals in columns, as the walk reads them.

    Attributes:
        ids: dataset ids, sorted (index = rank; ``downstream``/``upstream`` index into it).
        downstream, upstream: ``int64`` indices into ``ids``, one per interval.
        valid_from, last_seen: ``int64`` UTC microseconds.
        valid_to: ``int64`` UTC microseconds, :data:`POS` while the interval is open.
        moves: ``bool``, True when the interval's ``query_type`` moved identity (RENAME,
            SWAP: :data:`~lineage_engine.exposure.walk.MOVE_QUERY_TYPES`).
        statements: the intervals' ``last_query_id`` and ``query_type`` (``""`` when
            null), as two columns (lists or Arrow string arrays), for path explanations
            (:class:`TableIntervals`); None when not read.
        first_seen: ``int64`` UTC microseconds, or None (``valid_from``): earlier than
            ``valid_from`` for a copy of the upstream's earlier content (a Time Travel read).
        refreshes: ``bool`` or None (all False): True when the interval's ``query_type``
            keeps its downstream refreshing (a dynamic table:
            :data:`~lineage_engine.exposure.walk.REFRESH_QUERY_TYPES`).
        single: ``bool`` or None: True for an interval with one observation and no ``via``
            (with ``first_seen`` earlier than ``valid_from``: one Time Travel read alone,
            :func:`~lineage_engine.exposure.walk.single_read_of_the_past`).
    """

    ids: tuple[str, ...]
    downstream: np.ndarray
    upstream: np.ndarray
    valid_from: np.ndarray
    valid_to: np.ndarray
    last_seen: np.ndarray
    moves: np.ndarray
    statements: tuple[Any, Any] | None = None
    first_seen: np.ndarray | None = None
    single: np.ndarray | None = None
    refreshes: np.ndarray | None = None

    def __len__(self) -> int:
        return int(self.downstream.shape[0])

    def unknown_points(self, as_of: datetime) -> int:
        """Return the intervals valid from ``as_of`` or earlier whose ``first_seen`` is the epoch: Time
        Travel reads at a point not known (``parsing.time_travel.ANY_EARLIER``), read as any earlier
        content of their upstream (0 when ``first_seen`` was not read)."""
        if self.first_seen is None:
            return 0
        keep = (self.first_seen == 0) & (self.valid_from <= micros(as_of)) & (self.downstream != self.upstream)
        return int(np.count_nonzero(keep))

    @classmethod
    def from_columns(cls, downstream: Sequence[str], upstream: Sequence[str], valid_from: Iterable[int],
                     valid_to: Iterable[int | None], last_seen: Iterable[int | None], query_types: Iterable[str],
                     move_query_types: Collection[str] = MOVE_QUERY_TYPES,
                     first_seen: Iterable[int | None] | None = None,
                     single: Iterable[bool] | None = None) -> WalkEdges:
        """Build from per-interval columns (ids as strings, times as UTC microseconds).

        A null ``valid_to`` is open; a null ``last_seen`` falls back to ``valid_from`` (as
        :func:`lineage_engine.graph.cypher_store.edge_row` does).
        """
        ids = sorted(set(downstream) | set(upstream))
        rank = {i: n for n, i in enumerate(ids)}
        moves = frozenset(q.upper() for q in move_query_types)
        query_types = [(q or "").upper() for q in query_types]
        vf = np.fromiter(valid_from, dtype=np.int64, count=len(downstream))
        vt = np.fromiter((POS if v is None else v for v in valid_to), dtype=np.int64, count=len(downstream))
        ls = np.fromiter((-1 if v is None else v for v in last_seen), dtype=np.int64, count=len(downstream))
        missing = ls == -1
        ls[missing] = vf[missing]
        fs = None
        if first_seen is not None:
            fs = np.fromiter((POS if v is None else v for v in first_seen), dtype=np.int64, count=len(downstream))
            fs = np.minimum(fs, vf)
        return cls(
            ids=tuple(ids),
            downstream=np.fromiter((rank[d] for d in downstream), dtype=np.int64, count=len(downstream)),
            upstream=np.fromiter((rank[u] for u in upstream), dtype=np.int64, count=len(upstream)),
            valid_from=vf, valid_to=vt, last_seen=ls,
            moves=np.fromiter((q in moves for q in query_types), dtype=bool, count=len(downstream)),
            refreshes=np.fromiter((q in REFRESH_QUERY_TYPES for q in query_types), dtype=bool, count=len(downstream)),
            first_seen=fs,
            single=None if single is None else np.fromiter(single, dtype=bool, count=len(downstream)),
        )

    @classmethod
    def from_rows(cls, rows: Iterable[EdgeRow], move_query_types: Collection[str] = MOVE_QUERY_TYPES) -> WalkEdges:
        """Build from :class:`EdgeRow` intervals (``GraphStore.iter_edges(None)``)."""
        rows = list(rows)
        return cls.from_columns(
            [r.downstream for r in rows], [r.upstream for r in rows], (micros(r.valid_from) for r in rows),
            (None if r.valid_to is None else micros(r.valid_to) for r in rows),
            (micros(r.last_seen) for r in rows), (r.query_type for r in rows), move_query_types,
            (micros(r.first_seen) for r in rows), (r.observations == 1 and not r.via for r in rows))


@dataclass(frozen=True, slots=True)
class ArrayIndex:
    """Intervals prepared for walks as of one instant, as relaxation arrays grouped by upstream.

    The arrays match :func:`lineage_engine.exposure.walk.build_edge_index`'s steps: for
    interval ``k`` (upstream ``up[k]``) the downstream, derivation window ``[start, end]``,
    ``leave`` and whether the downstream is live (a view). ``offsets[u]:offsets[u + 1]``
    are the intervals out of dataset ``u``.
    """

    as_of: datetime
    ids: tuple[str, ...]
    rank: dict[str, int]
    offsets: np.ndarray
    up: np.ndarray
    down: np.ndarray
    start: np.ndarray
    end: np.ndarray
    leave: np.ndarray
    live: np.ndarray
    intervals: int
    reach: np.ndarray | None = None
    """Where each derivation window meets its upstream (``start``, or an earlier ``first_seen``)."""

    def mask_of(self, masked: Callable[[str], bool] | Collection[str]) -> np.ndarray:
        """Return a ``bool`` array over :attr:`ids`: True where ``masked`` says so."""
        if callable(masked):
            return np.fromiter((bool(masked(i)) for i in self.ids), dtype=bool, count=len(self.ids))
        out = np.zeros(len(self.ids), dtype=bool)
        for i in masked:
            n = self.rank.get(i)
            if n is not None:
                out[n] = True
        return out


def build_array_index(edges: WalkEdges, *, as_of: datetime, live: Collection[str] = ()) -> ArrayIndex:
    """Prepare ``edges`` for :func:`walk_origin_arrays` as of ``as_of`` (same rules as
    :func:`lineage_engine.exposure.walk.build_edge_index`).

    Raises:
        ValueError: ``as_of`` is naive.
    """
    if as_of.tzinfo is None or as_of.utcoffset() is None:
        raise ValueError("build_array_index needs an aware UTC 'as_of'")
    t = micros(as_of)
    keep = np.flatnonzero((edges.downstream != edges.upstream) & (edges.valid_from <= t))
    down, up = edges.downstream[keep], edges.upstream[keep]
    vf, vt, ls, moves = edges.valid_from[keep], edges.valid_to[keep], edges.last_seen[keep], edges.moves[keep]
    start = vf.copy()
    if moves.any():
        start = _move_starts(down, up, vf, vt, moves, start)
    leave = np.where(vt <= t, vt, POS)  # closed at or before T; else still holds (open: vt is POS)
    views = np.zeros(len(edges.ids), dtype=bool)
    rank = {i: n for n, i in enumerate(edges.ids)}
    for i in live:
        n = rank.get(i)
        if n is not None:
            views[n] = True
    is_live = views[down]
    refreshing = is_live if edges.refreshes is None else is_live | edges.refreshes[keep]
    end = np.where(refreshing, np.minimum(vt, t), np.maximum(vf, np.minimum(ls, t)))
    order = np.argsort(up, kind="stable")
    up_sorted = up[order]
    offsets = np.searchsorted(up_sorted, np.arange(len(edges.ids) + 1), side="left").astype(np.int64)
    reach = start if edges.first_seen is None else np.minimum(start, edges.first_seen[keep])
    if edges.first_seen is not None and edges.single is not None:  # one Time Travel read alone: that instant
        fs = edges.first_seen[keep]  # the epoch (0): a point not known, a window from it
        end = np.where(~refreshing & edges.single[keep] & (fs < vf) & (fs > 0), reach, end)
    return ArrayIndex(as_of=as_of, ids=edges.ids, rank=rank, offsets=offsets, up=up_sorted, down=down[order],
                      start=start[order], end=end[order], leave=leave[order], live=is_live[order],
                      intervals=int(keep.shape[0]), reach=reach[order])


def _move_starts(down: np.ndarray, up: np.ndarray, vf: np.ndarray, vt: np.ndarray, moves: np.ndarray,
                 start: np.ndarray) -> np.ndarray:
    """Derivation starts of identity moves: the earliest start of the intervals from the same
    upstream that closed at the move's instant on another downstream, processed in the
    reference's order (valid_from, downstream, upstream); -inf when there is none."""
    order = np.lexsort((up, down, vf))  # the reference's processing order
    pos = np.empty_like(order)
    pos[order] = np.arange(order.shape[0])
    move_rows = np.flatnonzero(moves)
    # Only closed intervals whose (upstream, valid_to) is some move's (upstream, valid_from) matter.
    times, inverse = np.unique(np.concatenate([vf[move_rows], vt]), return_inverse=True)
    move_keys = up[move_rows] * times.shape[0] + inverse[: move_rows.shape[0]]
    closed_keys = up * times.shape[0] + inverse[move_rows.shape[0]:]
    candidates = np.flatnonzero((vt != POS) & np.isin(closed_keys, move_keys))
    rows = np.union1d(move_rows, candidates)
    rows = rows[np.argsort(pos[rows], kind="stable")]
    is_move = moves[rows].tolist()
    is_candidate = np.isin(rows, candidates).tolist()
    key_of_move = dict(zip(move_rows.tolist(), move_keys.tolist(), strict=True))
    closed: dict[int, list[tuple[int, int]]] = {}
    out = start.copy()
    downs = down.tolist()
    for row, moved, cand in zip(rows.tolist(), is_move, is_candidate, strict=True):
        if moved:
            before = [s for d, s in closed.get(key_of_move[row], ()) if d != downs[row]]
            out[row] = min(before, default=NEG)
        if cand:
            closed.setdefault(int(closed_keys[row]), []).append((downs[row], int(out[row])))
    return out


def walk_origin_arrays(index: ArrayIndex, origin: str, *, masked: np.ndarray | None = None,
                       max_hops: int = DEFAULT_MAX_HOPS,
                       windows: dict[str, tuple[float, float, tuple[str, ...]]] | None = None,
                       states: list[WindowArrays] | None = None) -> HoldingColumns:
    """Return the datasets holding ``origin``'s data at ``index.as_of``.

    Exactly :func:`lineage_engine.exposure.walk.walk_origin` on the same intervals (see the
    module docstring for why).

    Args:
        index: from :func:`build_array_index`.
        origin: the origin dataset id (walked even when masked itself).
        masked: ``bool`` array over ``index.ids`` (:meth:`ArrayIndex.mask_of`); masked
            datasets are reached but neither expanded nor returned.
        max_hops: longest route considered, in lineage edges (>= 1).
        windows: when given, filled as :func:`~lineage_engine.exposure.walk.walk_origin`
            fills it: every dataset reached (the origin included, masked ones too) ->
            ``(arrive, leave, path terminal first)``, UTC microseconds, ``-inf`` / ``inf``
            for unbounded (access history, :mod:`lineage_engine.access.windows`).
        states: when given, the same windows as arrays are appended to it
            (:class:`WindowArrays`: no dict, no path tuple built; issue 13 §6).

    Returns:
        One :class:`Holding` per dataset, sorted by dataset id, kept as arrays until read
        (:class:`HoldingColumns`; equal to the list :func:`walk_origin` returns).

    Raises:
        ValueError: ``max_hops`` is below 1.
    """
    if max_hops < 1:
        raise ValueError(f"max_hops must be at least 1, got {max_hops}")
    o = index.rank.get(origin)
    if o is None:
        if windows is not None:
            windows[origin] = (-math.inf, math.inf, (origin,))
        empty = np.zeros(0, dtype=np.int64)
        out = HoldingColumns(origin, index.ids, empty, empty, empty, empty, empty)
        if states is not None:
            states.append(WindowArrays(origin, None, empty, empty, empty, empty, out))
        return out
    n = len(index.ids)
    stop = masked if masked is not None else np.zeros(n, dtype=bool)
    big = np.int64(2**62)
    # Node state: window [arrive, leave], path as (length, parent rank, parent's cell, own cell).
    arrive = np.full(n, POS, dtype=np.int64)  # POS: not reached
    leave = np.full(n, NEG, dtype=np.int64)
    key = np.full(n, big, dtype=np.int64)  # (path length) * n + parent rank; big: none
    pcell = np.full(n, -1, dtype=np.int64)
    cell = np.full(n, -1, dtype=np.int64)
    arrive[o], leave[o], key[o], cell[o] = NEG, POS, 0, 0
    cell_node = [np.array([o], dtype=np.int64)]
    cell_parent = [np.array([-1], dtype=np.int64)]
    cells = 1
    # Held (routes whose last interval holds at T): path key, parent's cell, earliest arrival.
    hkey = np.full(n, big, dtype=np.int64)
    hpcell = np.full(n, -1, dtype=np.int64)
    harrive = np.full(n, POS, dtype=np.int64)
    length = np.zeros(n, dtype=np.int64)
    length[o] = 1
    frontier = np.array([o], dtype=np.int64)
    offsets = index.offsets
    for _ in range(max_hops):
        lo, hi = offsets[frontier], offsets[frontier + 1]
        counts = hi - lo
        total = int(counts.sum())
        if total == 0:
            break
        steps = np.repeat(lo - np.cumsum(counts) + counts, counts) + np.arange(total, dtype=np.int64)
        u = index.up[steps]
        d = index.down[steps]
        au, lu = arrive[u], leave[u]
        reach = index.start if index.reach is None else index.reach
        ok = (d != o) & (reach[steps] <= lu) & (index.end[steps] >= au)
        if not ok.any():
            break
        steps, u, d, au, lu = steps[ok], u[ok], d[ok], au[ok], lu[ok]
        arr = np.maximum(au, index.start[steps])
        lv = index.leave[steps]
        lv = np.where(index.live[steps] & (lu < lv), lu, lv)
        ckey = (length[u] + 1) * n + u
        # Held: the fewest-hops, smallest path among candidates still holding; earliest arrival.
        hold = lv == POS
        if hold.any():
            hd = d[hold]
            best = np.full(n, big, dtype=np.int64)
            np.minimum.at(best, hd, ckey[hold])
            np.minimum.at(harrive, hd, arr[hold])
            touched = np.flatnonzero(best != big)
            new = best[touched]
            parent_cell = cell[new % n]
            better = (new < hkey[touched]) | ((new == hkey[touched]) & (parent_cell != hpcell[touched]))
            hkey[touched[better]] = new[better]
            hpcell[touched[better]] = parent_cell[better]
        # State: hull of the windows, best path.
        best = np.full(n, big, dtype=np.int64)
        np.minimum.at(best, d, ckey)
        touched = np.flatnonzero(best != big)
        old_arrive, old_leave = arrive[touched], leave[touched]
        np.minimum.at(arrive, d, arr)
        np.maximum.at(leave, d, lv)
        new = best[touched]
        parent_cell = cell[new % n]
        better = (new < key[touched]) | ((new == key[touched]) & (parent_cell != pcell[touched]))
        changed_path = touched[better]
        key[changed_path] = new[better]
        length[changed_path] = new[better] // n  # the parent's path length + 1
        pcell[changed_path] = parent_cell[better]
        if changed_path.shape[0]:
            cell[changed_path] = np.arange(cells, cells + changed_path.shape[0], dtype=np.int64)
            cells += changed_path.shape[0]
            cell_node.append(changed_path)
            cell_parent.append(parent_cell[better])
        changed = better | (arrive[touched] != old_arrive) | (leave[touched] != old_leave)
        nxt = touched[changed]
        frontier = nxt[~stop[nxt]]
        if frontier.shape[0] == 0:
            break
    reached = np.flatnonzero((hpcell >= 0) & ~stop)
    out = HoldingColumns(origin, index.ids, reached, hpcell[reached], harrive[reached], np.concatenate(cell_node),
                         np.concatenate(cell_parent))
    if states is not None:
        nodes = np.flatnonzero(key != big)
        states.append(WindowArrays(origin, o, nodes, arrive[nodes], leave[nodes], cell[nodes], out))
    if windows is not None:
        ids, path = index.ids, out._path  # noqa: SLF001 - the same cells
        nodes = np.flatnonzero(key != big)
        for node, a, lv, c in zip(nodes.tolist(), arrive[nodes].tolist(), leave[nodes].tolist(),
                                  cell[nodes].tolist(), strict=True):
            windows[ids[node]] = (-math.inf if a <= NEG else a, math.inf if lv >= POS else float(lv), path(c))
    return out


@dataclass(frozen=True, slots=True)
class WindowArrays:
    """The windows of one origin's walk (:func:`walk_origin_arrays` ``windows``) as arrays.

    Attributes:
        origin: the origin id; ``rank``: its index in the walk's ids (None: not in the graph's
            intervals, so it alone holds).
        nodes: ``int64`` ranks of every dataset reached (the origin included), ascending.
        arrive, leave: ``int64`` UTC microseconds per node, :data:`NEG` / :data:`POS` unbounded.
        cells: each node's path cell; :meth:`path` builds its path (terminal first).
        columns: the walk's :class:`HoldingColumns` (owner of the cells).
    """

    origin: str
    rank: int | None
    nodes: np.ndarray
    arrive: np.ndarray
    leave: np.ndarray
    cells: np.ndarray
    columns: HoldingColumns

    def path(self, cell: int) -> tuple[str, ...]:
        """Return the path of ``cell``, terminal first (built once per cell)."""
        return self.columns._path(cell)  # noqa: SLF001 - the walk's own cells


@dataclass(frozen=True, slots=True)
class PickedInterval:
    """The fields of a dataset interval a path explanation shows (an :class:`EdgeRow`'s, by name)."""

    downstream: str
    upstream: str
    valid_from: datetime
    valid_to: datetime | None
    last_query_id: str
    query_type: str
    transform: str = ""
    kind: str = ""


class TableIntervals:
    """The dataset interval each hop ``downstream <- upstream`` shows as of one instant, from
    :class:`WalkEdges` with ``statements`` (the scan's compact read; issue 13 §6).

    The same choice as :class:`lineage_engine.exposure.explain.IntervalIndex` (the interval
    open at ``as_of`` when there is one, else the latest one opened by ``as_of``), made for
    every pair at once on arrays: sorting the intervals opened by ``as_of`` by (pair, open
    at ``as_of``, ``valid_from``) puts each pair's pick last. A hop's interval is built when
    looked up. No column intervals: :meth:`column` finds none.

    Raises:
        ValueError: ``edges`` has no ``statements``, or ``as_of`` is naive.
    """

    __slots__ = ("as_of", "_edges", "_rank", "_keys", "_rows", "_ids", "_types")

    def __init__(self, edges: WalkEdges, as_of: datetime, rank: Mapping[str, int] | None = None) -> None:
        if edges.statements is None:
            raise ValueError("TableIntervals needs WalkEdges read with their statements")
        if as_of.tzinfo is None or as_of.utcoffset() is None:
            raise ValueError("TableIntervals needs an aware UTC 'as_of'")
        t = micros(as_of)
        n = max(len(edges.ids), 1)
        opened = np.flatnonzero(edges.valid_from <= t)
        key = edges.downstream[opened] * n + edges.upstream[opened]
        current = edges.valid_to[opened] > t
        order = np.lexsort((edges.valid_from[opened], current, key))
        sorted_keys = key[order]
        last = np.ones(sorted_keys.shape[0], dtype=bool)
        last[:-1] = sorted_keys[1:] != sorted_keys[:-1]
        self.as_of = as_of
        self._edges = edges
        self._rank = rank if rank is not None else {i: k for k, i in enumerate(edges.ids)}
        self._keys = sorted_keys[last]
        self._rows = opened[order[last]]
        query_ids, query_types = edges.statements
        self._ids, self._types = _texts(query_ids, self._rows), _texts(query_types, self._rows)

    def table(self, downstream: str, upstream: str, as_of: datetime) -> PickedInterval | None:
        """Return the interval shown for the hop ``downstream <- upstream`` (None: no interval)."""
        return self.tables([(downstream, upstream)], as_of)[0]

    def tables(self, pairs: Sequence[tuple[str, str]], as_of: datetime) -> list[PickedInterval | None]:
        """Return :meth:`table` of each ``(downstream, upstream)`` pair, in order, in one array lookup."""
        if as_of != self.as_of:
            raise ValueError("TableIntervals was built for another instant")
        if not pairs:
            return []
        n = max(len(self._edges.ids), 1)
        rank = self._rank
        ranks = [(rank.get(d, -1), rank.get(u, -1)) for d, u in pairs]
        known = np.fromiter((d >= 0 and u >= 0 for d, u in ranks), dtype=bool, count=len(ranks))
        keys = np.fromiter((d * n + u for d, u in ranks), dtype=np.int64, count=len(ranks))
        at = np.searchsorted(self._keys, keys)
        found = known & (at < self._keys.shape[0])
        found[found] = self._keys[at[found]] == keys[found]
        edges = self._edges
        out: list[PickedInterval | None] = [None] * len(pairs)
        for i, k in zip(np.flatnonzero(found).tolist(), at[found].tolist(), strict=True):
            row = int(self._rows[k])
            valid_to = int(edges.valid_to[row])
            out[i] = PickedInterval(
                pairs[i][0], pairs[i][1], _EPOCH + timedelta(microseconds=int(edges.valid_from[row])),
                None if valid_to >= POS else _EPOCH + timedelta(microseconds=valid_to), self._ids[k], self._types[k])
        return out

    def column(self, downstream: str, upstream: str, as_of: datetime) -> None:
        """Column intervals are not read here: always None."""
        return None


def _texts(column: Any, rows: np.ndarray) -> list[str]:
    """Return ``column[rows]`` as ``str`` (null: ``""``) from a list or an Arrow string array."""
    if hasattr(column, "take"):  # Arrow: one conversion of the picked rows
        values = column.take(rows).to_pylist()
    else:
        values = [column[r] for r in rows.tolist()]
    return [v or "" for v in values]


class _HoldingSequence(Sequence[Holding]):
    """A read-only sequence of holdings built on demand by ``_holding(i)``; ``==`` any sequence."""

    __slots__ = ()

    def _holding(self, index: int) -> Holding:
        raise NotImplementedError

    @overload
    def __getitem__(self, index: int) -> Holding: ...

    @overload
    def __getitem__(self, index: slice) -> list[Holding]: ...

    def __getitem__(self, index: int | slice) -> Holding | list[Holding]:
        if isinstance(index, slice):
            return [self._holding(i) for i in range(*index.indices(len(self)))]
        n = len(self)
        if not -n <= index < n:
            raise IndexError(index)
        return self._holding(index % n)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]


class HoldingColumns(_HoldingSequence):
    """The holdings of one origin's walk, kept as arrays until read (issue 13 §6).

    A sequence of :class:`~lineage_engine.exposure.walk.Holding`, by dataset id, equal to the
    list the reference returns (``==`` compares with any sequence of holdings). Reading an
    item builds it: its path from the walk's cells (each cell's path built once and shared),
    its arrival as an aware UTC datetime. :meth:`datasets` reads the held ids alone. So a
    caller that needs only some of the holdings, or only their ids, never pays for the rest
    (about 5 µs each: a scan of 800,000 holdings spent half its time building them).
    """

    __slots__ = ("origin", "_ids", "_nodes", "_parents", "_arrived", "_cell_node", "_cell_parent", "_paths")

    def __init__(self, origin: str, ids: tuple[str, ...], nodes: np.ndarray, parents: np.ndarray,
                 arrived: np.ndarray, cell_node: np.ndarray, cell_parent: np.ndarray) -> None:
        self.origin = origin
        self._ids = ids
        self._nodes, self._parents, self._arrived = nodes, parents, arrived
        self._cell_node, self._cell_parent = cell_node, cell_parent
        self._paths: dict[int, tuple[str, ...]] = {-1: ()}  # cell -> its path, each built once

    def __len__(self) -> int:
        return int(self._nodes.shape[0])

    def __iter__(self) -> Iterator[Holding]:
        paused = gc.isenabled()  # many new tuples, none in a cycle: collections would only cost
        gc.disable()
        try:
            for i in range(len(self)):
                yield self._holding(i)
        finally:
            if paused:
                gc.enable()

    def __repr__(self) -> str:
        return f"HoldingColumns(origin={self.origin!r}, holdings={len(self)})"

    def datasets(self) -> list[str]:
        """Return the held dataset ids, in order (no path built)."""
        ids = self._ids
        return [ids[n] for n in self._nodes.tolist()]

    def _holding(self, i: int) -> Holding:
        name = self._ids[int(self._nodes[i])]
        arrived = int(self._arrived[i])
        when = None if arrived <= NEG else _EPOCH + timedelta(microseconds=arrived)
        return Holding(self.origin, name, (name, *self._path(int(self._parents[i]))), when)

    def _path(self, cell: int) -> tuple[str, ...]:
        paths = self._paths
        tail = paths.get(cell)
        if tail is not None:
            return tail
        chain = []
        while cell not in paths:
            chain.append(cell)
            cell = int(self._cell_parent[cell])
        tail = paths[cell]
        for c in reversed(chain):
            tail = paths[c] = (self._ids[int(self._cell_node[c])], *tail)
        return tail


class Holdings(_HoldingSequence):
    """Several origins' :class:`HoldingColumns` read as one sequence, in the given order."""

    __slots__ = ("parts", "_starts")

    def __init__(self, parts: Sequence[HoldingColumns]) -> None:
        self.parts = tuple(parts)
        self._starts = np.cumsum([0, *(len(p) for p in self.parts)]).tolist()

    def __len__(self) -> int:
        return int(self._starts[-1])

    def _holding(self, index: int) -> Holding:
        part = int(np.searchsorted(self._starts, index, side="right")) - 1
        return self.parts[part][index - self._starts[part]]

    def __iter__(self) -> Iterator[Holding]:
        for part in self.parts:
            yield from part

    def __repr__(self) -> str:
        return f"Holdings(origins={len(self.parts)}, holdings={len(self)})"
