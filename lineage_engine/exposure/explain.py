"""Explain a walked path hop by hop: which lineage interval carried each hop (issue 10 §6).

Pure: stdlib and :mod:`lineage_engine.model` only. The walks (:mod:`.walk`,
:mod:`.column_walk`) return paths as ids; a finding, an alert and the walk-answered traces
show each hop with the interval that carried it: its transform and kind (column hops), the
statement that last derived it (query id and type) and its validity.

Which interval: a hop ``downstream <- upstream`` may have several intervals (closed and
reopened). The one shown is the interval open at ``as_of`` when there is one, else the
latest one that opened by ``as_of`` (a copy whose edge closed since, e.g. an intermediate
dropped after the copy). A column hop reached through an unexpanded star (``t.*``) falls back
to the star's interval. A hop from a column to a dataset (column lineage unknown there) is a
dataset hop between the two datasets.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from lineage_engine.model import EdgeRow, dataset_of


@dataclass(frozen=True, slots=True)
class Hop:
    """One hop of an exposure path, downstream end first.

    Attributes:
        downstream, upstream: ids (columns for a column hop, datasets for a table hop).
        level: ``column`` or ``table``.
        transform, kind: of the column interval (``identity``, ``expression``, … and
            ``DIRECT``/``INDIRECT``); empty on a table hop.
        query_id, query_type: the statement that last derived the interval (empty when no
            interval was found: the path came from a rename whose interval is not kept).
        valid_from, valid_to: the interval's validity (UTC; ``valid_to`` None while open).
    """

    downstream: str
    upstream: str
    level: str
    transform: str = ""
    kind: str = ""
    query_id: str = ""
    query_type: str = ""
    valid_from: datetime | None = None
    valid_to: datetime | None = None

    def as_dict(self) -> dict[str, Any]:
        """Return the JSON-able shape used in findings, alerts and trace rows (times ISO 8601)."""
        return {
            "downstream": self.downstream, "upstream": self.upstream, "level": self.level,
            "transform": self.transform, "kind": self.kind, "query_id": self.query_id,
            "query_type": self.query_type,
            "valid_from": self.valid_from.isoformat() if self.valid_from else None,
            "valid_to": self.valid_to.isoformat() if self.valid_to else None,
        }


class Interval(Protocol):
    """What a hop reads of its interval (an :class:`EdgeRow` has it)."""

    @property
    def valid_from(self) -> datetime: ...
    @property
    def valid_to(self) -> datetime | None: ...
    @property
    def last_query_id(self) -> str: ...
    @property
    def query_type(self) -> str: ...
    @property
    def transform(self) -> str: ...
    @property
    def kind(self) -> str: ...


class IntervalLookup(Protocol):
    """Where :func:`explain_path` finds each hop's interval (:class:`IntervalIndex`, or the
    scan's columnar ``lineage_engine.walk_arrays.TableIntervals``)."""

    def table(self, downstream: str, upstream: str, as_of: datetime) -> Interval | None: ...

    def column(self, downstream: str, upstream: str, as_of: datetime) -> Interval | None: ...


class IntervalIndex:
    """Edge intervals by (downstream, upstream), for :func:`explain_path` (build once per answer)."""

    def __init__(self, dataset_edges: Iterable[EdgeRow], column_edges: Iterable[EdgeRow] = ()) -> None:
        self._tables: dict[tuple[str, str], list[EdgeRow]] = {}
        self._columns: dict[tuple[str, str], list[EdgeRow]] = {}
        for row in dataset_edges:
            self._tables.setdefault((row.downstream, row.upstream), []).append(row)
        for row in column_edges:
            self._columns.setdefault((row.downstream, row.upstream), []).append(row)

    def table(self, downstream: str, upstream: str, as_of: datetime) -> EdgeRow | None:
        """Return the dataset interval shown for a table hop (see the module doc)."""
        return _pick(self._tables.get((downstream, upstream), ()), as_of)

    def column(self, downstream: str, upstream: str, as_of: datetime) -> EdgeRow | None:
        """Return the column interval shown for a column hop, through stars when needed."""
        star_down = dataset_of(downstream) + ".*"
        star_up = dataset_of(upstream) + ".*"
        for key in ((downstream, upstream), (star_down, upstream), (downstream, star_up), (star_down, star_up)):
            found = _pick(self._columns.get(key, ()), as_of)
            if found is not None:
                return found
        return None


def _pick(rows: Sequence[EdgeRow], as_of: datetime) -> EdgeRow | None:
    opened = [r for r in rows if r.valid_from <= as_of]
    current = [r for r in opened if r.valid_to is None or r.valid_to > as_of]
    pool = current or opened
    return max(pool, key=lambda r: r.valid_from) if pool else None


def explain_path(path: Sequence[str], columns: int, index: IntervalLookup, as_of: datetime,
                 cache: dict[tuple[str, str, str, bool], Hop] | None = None) -> list[Hop]:
    """Return the hops of a walked path, terminal end first (the path's own order).

    Args:
        path: ids terminal first, origin last (as the walks return them).
        columns: how many ids at the origin end of ``path`` are column ids (0: all datasets).
        index: the graph's intervals (:class:`IntervalIndex`, or any :class:`IntervalLookup`).
        as_of: the walk's instant (aware UTC).
        cache: hops already explained with the same ``index`` and ``as_of``, by (downstream,
            upstream, level, upstream is a column); filled here. Paths of one walk share most
            of their hops (a path is its parent's plus one), so a caller explaining many
            paths looks each hop up once, and equal hops are the same object.

    Returns:
        ``len(path) - 1`` hops; a hop whose interval is unknown has empty statement fields.
    """
    first_column = len(path) - columns
    return [_hop(path, k, first_column, index, as_of, cache) for k in range(len(path) - 1)]


def first_hops(paths: Iterable[tuple[Sequence[str], int]], index: IntervalLookup, as_of: datetime,
               cache: dict[tuple[str, str, str, bool], Hop] | None = None,
               ) -> dict[tuple[tuple[str, ...], int], Hop]:
    """Return ``(path, columns)`` -> the path's first hop (terminal end), for each path and each of its tails.

    A path's hops are its first hop, then the hops of its tail ``path[1:]`` with the same
    ``columns`` (the walks' paths are their parent's plus one id): so :func:`explain_path` of
    ``path`` is ``[first[(path, c)], first[(path[1:], c)], …]``, and a tail shared by many paths
    is looked up once (issue 13 §6). Arguments as :func:`explain_path`; paths of fewer than two
    ids have no entry.
    """
    keys: dict[tuple[tuple[str, ...], int], tuple[str, str, str, bool]] = {}
    for ids, columns in paths:
        path = tuple(ids)
        while len(path) > 1 and (path, columns) not in keys:
            first_column = len(path) - columns
            keys[(path, columns)] = (path[0], path[1], "column" if first_column <= 0 else "table", first_column <= 1)
            path = path[1:]
    cache = {} if cache is None else cache
    missing = sorted({key for key in keys.values() if key not in cache})
    tables = [key for key in missing if key[2] == "table"]
    many = getattr(index, "tables", None)  # one lookup for every table hop (TableIntervals), else one each
    rows = (many([(down, dataset_of(up) if up_column else up) for down, up, _, up_column in tables], as_of)
            if many is not None else [_interval(key, index, as_of) for key in tables])
    for key, row in zip(tables, rows, strict=True):
        cache[key] = _made(key, row)
    for key in missing:
        if key[2] != "table":
            cache[key] = _made(key, _interval(key, index, as_of))
    return {tail: cache[key] for tail, key in keys.items()}


def _hop(path: Sequence[str], k: int, first_column: int, index: IntervalLookup, as_of: datetime,
         cache: dict[tuple[str, str, str, bool], Hop] | None) -> Hop:
    """Return hop ``k`` of ``path`` (ids ``k`` and ``k + 1``); ids from ``first_column`` on are columns."""
    key = (path[k], path[k + 1], "column" if k >= first_column else "table", k + 1 >= first_column)
    if cache is not None:
        known = cache.get(key)
        if known is not None:
            return known
    hop = _made(key, _interval(key, index, as_of))
    if cache is not None:
        cache[key] = hop
    return hop


def _interval(key: tuple[str, str, str, bool], index: IntervalLookup, as_of: datetime) -> Interval | None:
    """Return the interval a hop ``(downstream, upstream, level, upstream is a column)`` shows."""
    down, up, level, up_column = key
    if level == "column":
        return index.column(down, up, as_of)
    return index.table(down, dataset_of(up) if up_column else up, as_of)


def _made(key: tuple[str, str, str, bool], row: Interval | None) -> Hop:
    down, up, level, _ = key
    if row is None:
        return Hop(down, up, level)
    return Hop(down, up, level, transform=row.transform, kind=row.kind, query_id=row.last_query_id,
               query_type=row.query_type, valid_from=row.valid_from, valid_to=row.valid_to)


def opening_hop(hops: Sequence[Hop]) -> Hop | None:
    """Return the hop whose statement put the data into the terminal (the first hop), if known."""
    return hops[0] if hops and hops[0].query_id else None


def hops_as_dicts(hops: Iterable[Hop]) -> list[Mapping[str, Any]]:
    """Return hops as JSON-able dicts, in the given order."""
    return [h.as_dict() for h in hops]
