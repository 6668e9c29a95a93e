"""Dataset origins' holdings by name, from the array walk's windows (issue 13 §6).

The same :class:`~lineage_engine.access.windows.Holdings` as the reference steps of
:func:`lineage_engine.access.service.holdings_for` (``holdings_of_windows``, the intervals into
each held object from a holder, ``under_their_names``), computed on the walk's arrays: the
earliest interval into each object from a holder is one scatter-min over the intervals, and
only an object whose intervals from holders may leave a gap (two or more of them, one
starting after another ended) has its spans listed in Python. One :class:`Held` is built per
object, none in between: a drift check at 200,000 intervals built three per object and spent
most of its time there. ``tests/access/test_held_arrays.py`` checks the equality with the
reference on random temporal graphs.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime

import numpy as np

from lineage_engine.access.windows import Held, Holdings, gaps_between
from lineage_engine.walk_arrays import NEG, POS, WalkEdges, WindowArrays, micros


def holdings_by_name(edges: WalkEdges, states: Sequence[WindowArrays], as_of: datetime) -> list[Holdings]:
    """Return each origin's dataset holdings by name as of ``as_of``, in the order of ``states``.

    Args:
        edges: the dataset intervals the walk read (:class:`WalkEdges`; their ranks are the
            walk's).
        states: one per origin, from :func:`lineage_engine.walk_arrays.walk_origin_arrays`
            (``states=``) on an index of ``edges`` as of ``as_of``.
        as_of: aware UTC; only intervals opened by then name an arrival.

    Returns:
        Per origin, every dataset that held its data (the origin first in id order with the
        rest, always holding), each arriving no earlier than the first lineage interval into
        it from a holder, with the gaps between such intervals (:func:`.windows.under_their_names`).
    """
    opened = np.flatnonzero(edges.valid_from <= micros(as_of))
    down, up = edges.downstream[opened], edges.upstream[opened]
    starts, ends = edges.valid_from[opened], edges.valid_to[opened]
    order = np.lexsort((ends, starts, down))  # by (downstream, start, end): each origin's subset stays so
    intervals = _Sorted(down[order], up[order], starts[order], *np.unique(ends[order], return_inverse=True))
    return [_by_name(state, edges.ids, len(edges.ids), intervals) for state in states]


class _Sorted:
    """The intervals opened by the instant, sorted by (downstream, start, end); ends also as ranks
    into their sorted distinct ``values`` (for a cumulative max per downstream)."""

    __slots__ = ("down", "up", "start", "values", "rank")

    def __init__(self, down: np.ndarray, up: np.ndarray, start: np.ndarray, values: np.ndarray,
                 rank: np.ndarray) -> None:
        self.down, self.up, self.start, self.values, self.rank = down, up, start, values, rank.reshape(-1)


def _by_name(state: WindowArrays, ids: Sequence[str], n: int, intervals: _Sorted) -> Holdings:
    origin = state.origin
    if state.rank is None:  # no interval touches the origin: it alone holds
        return Holdings(origin, datasets={origin: Held(origin, -math.inf, math.inf, (origin,))})
    reached = np.zeros(n, dtype=bool)
    reached[state.nodes] = True
    mine = np.flatnonzero(reached[intervals.down] & reached[intervals.up])  # into a holder from a holder
    into, start = intervals.down[mine], intervals.start[mine]
    run = np.ones(into.shape[0], dtype=bool)  # the first interval into each object: its earliest start
    run[1:] = into[1:] != into[:-1]
    first = np.full(n, POS, dtype=np.int64)
    first[into[run]] = start[run]
    nodes = state.nodes
    named = (nodes != state.rank) & (first[nodes] != POS)
    arrive = state.arrive
    moved = named & (arrive < first[nodes])  # held under the name before the name received lineage
    arrive = np.where(moved, first[nodes], arrive)
    kept = ~(moved & (arrive > state.leave))
    by_node = np.zeros((2, n), dtype=np.int64)
    by_node[0, nodes], by_node[1, nodes] = arrive, state.leave
    wanted = np.zeros(n, dtype=bool)
    wanted[nodes[named & kept]] = True
    gaps = _gaps(wanted, by_node, into, start, intervals.rank[mine], intervals.values, run)
    return Holdings(origin, datasets=HeldByName(state, ids, nodes[kept], arrive[kept], state.leave[kept],
                                                state.cells[kept], gaps))


def _gaps(wanted: np.ndarray, by_node: np.ndarray, into: np.ndarray, start: np.ndarray, rank: np.ndarray,
          values: np.ndarray, run: np.ndarray) -> _Gaps:
    """Return the gaps of the ``wanted`` objects (:func:`.windows.gaps_between`, on arrays).

    ``into``/``start``/``rank`` (of the end) per interval, sorted by (object, start, end), ``run``
    True at each object's first. ``reach`` before an interval is the latest end of the ones before
    it (a cumulative max within each object's run, on end ranks offset per run); a gap opens where
    an interval starts after ``reach`` inside ``[arrive, leave]`` (``by_node`` rows).
    """
    if not wanted.any():
        return _NO_GAPS
    width = np.int64(values.shape[0])
    offset = (np.cumsum(run) - 1) * width
    reach = np.empty(into.shape[0], dtype=np.int64)
    reach[1:] = values[np.maximum.accumulate(offset + rank) - offset][:-1]
    a, lv = by_node[0, into], by_node[1, into]
    opens = wanted[into] & ~run & (start > reach) & (reach < lv) & (start > a)
    low, high = np.maximum(reach, a), np.minimum(start, lv)
    opens &= high > low
    return _Gaps(into[opens], low[opens], high[opens])


class _Gaps:
    """Gaps as three arrays sorted by node (``(node, start)`` order); each node's read when asked."""

    __slots__ = ("nodes", "low", "high", "_with")

    def __init__(self, nodes: np.ndarray, low: np.ndarray, high: np.ndarray) -> None:
        self.nodes, self.low, self.high = nodes, low, high
        self._with = frozenset(nodes.tolist())

    def of(self, node: int) -> tuple[tuple[int, int], ...]:
        """Return the gaps of ``node`` (µs), in order; ``()`` when none."""
        if node not in self._with:
            return ()
        lo, hi = np.searchsorted(self.nodes, [node, node + 1])
        return tuple(zip(self.low[lo:hi].tolist(), self.high[lo:hi].tolist(), strict=True)) if hi > lo else ()


_NO_GAPS = _Gaps(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))


class HeldByName(Mapping[str, Held]):
    """Dataset id -> :class:`Held` of one origin, from arrays: each :class:`Held` (and its path tuple)
    is built when first read, so a steady drift check that reads only :meth:`arrival_ids` builds none.

    Iterates in dataset id order (the walk's ranks), as the reference dict.
    """

    __slots__ = ("_state", "_names", "_at", "_arrive", "_leave", "_cells", "_gaps", "_rows", "_built")

    def __init__(self, state: WindowArrays, ids: Sequence[str], nodes: np.ndarray, arrive: np.ndarray,
                 leave: np.ndarray, cells: np.ndarray, gaps: _Gaps) -> None:
        self._state = state
        self._rows = nodes.tolist()
        self._names = [ids[node] for node in self._rows]
        self._at = {name: i for i, name in enumerate(self._names)}
        self._arrive, self._leave, self._cells = arrive, leave, cells
        self._gaps = gaps
        self._built: dict[str, Held] = {}

    def __len__(self) -> int:
        return len(self._names)

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __contains__(self, name: object) -> bool:
        return name in self._at

    def __getitem__(self, name: str) -> Held:
        held = self._built.get(name)
        if held is None:
            i = self._at[name]
            a, lv = int(self._arrive[i]), int(self._leave[i])
            held = self._built[name] = Held(
                name, -math.inf if a <= NEG else a, math.inf if lv >= POS else float(lv),
                tuple(reversed(self._state.path(int(self._cells[i])))), "full", self._gaps.of(self._rows[i]))
        return held

    def get(self, name: str, default: Held | None = None) -> Held | None:  # type: ignore[override]
        """Return the :class:`Held` of ``name``, else ``default`` (as ``dict.get``; without a raised KeyError)."""
        held = self._built.get(name)
        if held is not None:
            return held
        return self[name] if name in self._at else default

    def arrival_ids(self) -> list[str]:
        """Return the ids that arrived at a known instant, other than the origin (what
        :func:`lineage_engine.access.drift.arrival_keys` yields for these holdings), in order."""
        known = np.flatnonzero((self._arrive > NEG) & (np.asarray(self._rows) != self._state.rank)).tolist()
        return [self._names[i] for i in known]
