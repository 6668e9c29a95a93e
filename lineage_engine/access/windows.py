"""When each copy held an origin's data: the time-respecting walk, kept whole (issue 14 §2).

Pure: stdlib, :mod:`lineage_engine.model` and :mod:`lineage_engine.exposure`. The exposure
scan asks "what holds the data *at T*"; access history asks "*when* did each copy hold it",
because a read counts only while the object read held the origin's data. The holding
windows are those of :mod:`lineage_engine.exposure.walk` (read its docstring): a copy holds
from the derivation that brought the data until it is replaced without it, dropped or renamed
away; a view holds while its upstream holds; several routes give the hull of their windows
(earliest arrival, latest leave: over-report, never under). Nothing is masked here: every
copy is walked (a masking policy decides per role what a reader saw, so a read of a masked
copy is still listed), except values masked by a function on the way (``SHA2(email)``): a
column holding only a masked form is not the origin's data.

Windows are in UTC microseconds since the epoch, ``-inf`` / ``+inf`` for unbounded.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone

from lineage_engine.exposure.column_walk import ColumnIndex, walk_column_origin
from lineage_engine.exposure.walk import DEFAULT_MAX_HOPS, EdgeIndex, Window, walk_origin
from lineage_engine.model import ColumnRef, dataset_of

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def micros(moment: datetime) -> int:
    """Return an aware instant as UTC microseconds since the epoch (the walks' unit)."""
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


@dataclass(frozen=True, slots=True)
class Held:
    """An object that held an origin's data during ``[arrive, leave]``.

    Attributes:
        object_id: a dataset id or a column id.
        arrive, leave: UTC microseconds (infinities for unbounded).
        path: ids from the origin to ``object_id`` (origin first).
        exposure: ``full`` (the value) or ``partial`` (a fragment, ``RIGHT(ssn, 4)``).
        gaps: open intervals ``(start, end)`` inside the window when the name held nothing of
            the origin (no lineage interval into it from a holder was open: renamed away and
            recreated empty before a SWAP brought the data back), sorted; both ends held.
    """

    object_id: str
    arrive: float
    leave: float
    path: tuple[str, ...]
    exposure: str = "full"
    gaps: tuple[tuple[float, float], ...] = ()

    def holds_during(self, first: int, last: int) -> bool:
        """Return True when ``[first, last]`` (µs) meets the window outside its gaps (both ends inclusive)."""
        if last < self.arrive or first > self.leave:
            return False
        low, high = max(first, self.arrive), min(last, self.leave)
        return not any(start < low and high < end for start, end in self.gaps)

    def covers(self, first: int, last: int) -> bool:
        """Return True when the whole of ``[first, last]`` lies in the window and meets no gap."""
        return (first >= self.arrive and last <= self.leave
                and not any(first < end and start < last for start, end in self.gaps))

    def holds_at(self, moment: float) -> bool:
        """Return True when the object held the data at ``moment`` (µs)."""
        return self.holds_during(int(moment), int(moment)) if not math.isinf(moment) else False


@dataclass(slots=True)
class Holdings:
    """Everything that held one origin's data, and when.

    Attributes:
        origin: the origin id (dataset or column).
        columns: column id -> window (column origins: column-level holdings).
        datasets: dataset id -> window (dataset origins: every dataset; column origins:
            datasets reached at table level, where column lineage is unknown).
        by_dataset: dataset id -> its held columns (for reads of ``D.*``).
    """

    origin: str
    columns: dict[str, Held] = field(default_factory=dict)
    datasets: dict[str, Held] = field(default_factory=dict)
    by_dataset: dict[str, list[Held]] = field(default_factory=dict)

    def object_ids(self) -> list[str]:
        """Return the ids whose reads may count: held columns, ``D.*`` of their datasets, held datasets."""
        stars = {f"{d}.*" for d in (*self.by_dataset, *self.datasets)} if self.columns else set()
        return sorted({*self.columns, *stars, *self.datasets})


def _held(object_id: str, window: Window, exposure: str = "full") -> Held:
    arrive, leave, path = window
    return Held(object_id, arrive, leave, tuple(reversed(path)), exposure)


def dataset_holdings(index: EdgeIndex, origin: str, *, max_hops: int = DEFAULT_MAX_HOPS) -> Holdings:
    """Return the datasets that held ``origin``'s data and when (the origin itself: always)."""
    windows: dict[str, Window] = {}
    walk_origin(index, origin, max_hops=max_hops, windows=windows)
    return holdings_of_windows(origin, windows)


def holdings_of_windows(origin: str, windows: Mapping[str, Window]) -> Holdings:
    """Return the dataset holdings of a walk's ``windows`` (:func:`walk_origin`'s, or the array walk's:
    :func:`lineage_engine.walk_arrays.walk_origin_arrays`); the origin always holds."""
    out = Holdings(origin, datasets={d: _held(d, w) for d, w in windows.items()})
    out.datasets.setdefault(origin, Held(origin, float("-inf"), float("inf"), (origin,)))
    return out


def column_holdings(index: ColumnIndex, origin: str, *, max_hops: int = DEFAULT_MAX_HOPS) -> Holdings:
    """Return the columns (and table-level datasets) that held ``origin``'s value and when.

    A column reached both in clear and as a fragment is ``full`` with the hull of both
    windows; columns reached only through a masking function are left out.
    """
    windows: dict[str, dict[str, Window]] = {}
    walk_column_origin(index, origin, max_hops=max_hops, column_masking=False, windows=windows)
    out = Holdings(origin)
    for state, exposure in (("clear", "full"), ("partial", "partial")):
        for column, window in windows.get(state, {}).items():
            held = _held(column, window, exposure)
            old = out.columns.get(column)
            if old is not None:  # clear already: widen to the hull, keep the clear path
                held = Held(column, min(old.arrive, held.arrive), max(old.leave, held.leave), old.path, old.exposure)
            out.columns[column] = held
    out.columns.setdefault(origin, Held(origin, float("-inf"), float("inf"), (origin,)))
    for dataset, window in windows.get("table", {}).items():
        out.datasets[dataset] = _held(dataset, window)
    for column, held in out.columns.items():
        out.by_dataset.setdefault(dataset_of(column), []).append(held)
    return out


def gaps_between(spans: Sequence[tuple[float, float]], arrive: float, leave: float) -> tuple[tuple[float, float], ...]:
    """Return the open intervals of ``[arrive, leave]`` between two spans ``[start, end]`` that none
    covers, sorted. Only gaps between spans: before the first and after the last the window
    decides (a copy keeps its data after its interval's upstream is gone)."""
    out: list[tuple[float, float]] = []
    reach = float("-inf")
    for start, end in sorted(spans):
        if reach > float("-inf") and start > reach and reach < leave and start > arrive:
            out.append((max(reach, arrive), min(start, leave)))
        reach = max(reach, end)
    return tuple((a, b) for a, b in out if b > a)


def under_their_names(holdings: Holdings, first_into: Mapping[str, float],
                      spans_into: Mapping[str, Sequence[tuple[float, float]]] | None = None) -> Holdings:
    """Return ``holdings`` with no object holding before its name first received lineage.

    The walk lets an identity move (RENAME, SWAP) inherit the window of the old name: right
    for exposure ("derived since"), wrong for reads and arrivals by name. A read of
    ``db.s.new`` before ``ALTER TABLE old RENAME TO new`` read another table (or nothing),
    and the data reached the name ``new`` at the rename. So each object's arrival is at
    least the start of the earliest lineage interval into it (``first_into``: object id
    -> UTC microseconds); a window that would then close before it opens is dropped.
    The origin is left as it is. ``spans_into`` (object id -> ``[start, end]`` of every lineage
    interval into it from a holder, µs): the window's stretches that none of them covers are its
    gaps (:attr:`Held.gaps`): one window per name would otherwise count a read of the name
    while it held an empty table, between a rename away and a SWAP back.
    """
    out = Holdings(holdings.origin)
    for source, target in ((holdings.columns, out.columns), (holdings.datasets, out.datasets)):
        for object_id, held in source.items():
            start = first_into.get(object_id)
            if object_id != holdings.origin and start is not None and held.arrive < start:
                if start > held.leave:
                    continue
                held = Held(held.object_id, start, held.leave, held.path, held.exposure)
            spans = spans_into.get(object_id) if spans_into is not None and object_id != holdings.origin else None
            if spans:
                gaps = gaps_between(spans, held.arrive, held.leave)
                if gaps:
                    held = Held(held.object_id, held.arrive, held.leave, held.path, held.exposure, gaps)
            target[object_id] = held
    for column, held in out.columns.items():
        out.by_dataset.setdefault(dataset_of(column), []).append(held)
    return out


def is_star(column_id: str) -> bool:
    """Return True for the marker column ``D.*`` ("every column of D")."""
    return ColumnRef.parse(column_id).name == "*"
