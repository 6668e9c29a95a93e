"""Drift: places and principals an origin's data reached for the first time (issue 14 §5).

Pure: stdlib and :mod:`lineage_engine.access`. From one origin's holding windows
(:mod:`.windows`) and the reads that count (:mod:`.answer`):

* ``new_terminal``: an object (a copy, a view, a column) the data reached, at its first
  arrival (the start of its holding window), with the lineage statement that brought it
  there (the interval into it from the previous object on the path: its last statement, which is
  the one that opened it unless the interval was observed again).
* ``new_egress``: the same for an object outside the account: a stage (``@…``), a bucket or
  URL (``s3://``, ``gcs://``, ``azure://``, ``https://``) or a share (``share:…``).
* ``new_reader``: a principal who read the data for the first time (directly or through a
  copy, by the time rules of :mod:`.answer`), with the first counted read.

Arrivals are by name (:func:`.windows.under_their_names`): a copy renamed or swapped into a
name arrives there at the RENAME / SWAP. An arrival of unknown time (``-inf``: no interval
into the object from a holder) has no instant and is left to the exposure scan.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Any
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from lineage_engine.access.answer import AccessRow
from lineage_engine.access.windows import Holdings
from lineage_engine.model import EdgeRow, dataset_of

EGRESS_PREFIXES = ("@", "s3://", "gcs://", "gs://", "azure://", "https://", "http://", "share:", "extfn:",
                   "replication:")
"""Ids of objects outside the account (stages, buckets, URLs, outbound shares, external functions,
databases replicated to other accounts)."""

EXTERNAL_FUNCTION_PREFIX = "extfn:"
"""Id prefix of an external function's destination dataset (:mod:`.external_calls`)."""

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


@dataclass(frozen=True, slots=True)
class DriftItem:
    """One first arrival of an origin's data.

    Attributes:
        kind: ``new_terminal`` | ``new_egress`` | ``new_reader``.
        origin: the origin id.
        subject: the object reached, or the principal (``new_reader``).
        at: when (aware UTC): the statement's END_TIME.
        query_id: the statement (a lineage statement, or the first counted read); "" if unknown.
        user, role: who ran it ("" when unknown: a statement whose reads were not recorded).
        path: ids from the origin to the object reached (origin first).
    """

    kind: str
    origin: str
    subject: str
    at: datetime
    query_id: str
    user: str
    role: str
    path: tuple[str, ...]

    @property
    def key(self) -> tuple[str, str, str]:
        """Return ``(kind, origin, subject)``: what is new, once."""
        return (self.kind, self.origin, self.subject)


def is_egress(object_id: str) -> bool:
    """Return True for an object outside the account (its dataset id names a stage, URL or share)."""
    dataset = dataset_of(object_id) if not object_id.startswith(EGRESS_PREFIXES) else object_id
    return object_id.startswith(EGRESS_PREFIXES) or dataset.startswith(EGRESS_PREFIXES)


def _instant(micros: float) -> datetime:
    return _EPOCH + timedelta(microseconds=int(micros))


def upstreams_of(edges: Mapping[tuple[str, str], Any]) -> dict[str, list[str]]:
    """Return downstream -> its upstreams, from intervals keyed by ``(downstream, upstream)``."""
    into: dict[str, list[str]] = {}
    for downstream, upstream in edges:
        into.setdefault(downstream, []).append(upstream)
    return into


def arrivals(holdings: Holdings, edges: Mapping[tuple[str, str], list[EdgeRow]],
             who: Callable[[str], tuple[str, str]], into: Mapping[str, list[str]] | None = None,
             skip: Collection[tuple[str, str, str]] = frozenset()) -> list[DriftItem]:
    """Return a ``new_terminal`` / ``new_egress`` item for every object the origin's data reached.

    Args:
        holdings: from :func:`.windows.dataset_holdings` / :func:`.windows.column_holdings`.
        edges: lineage intervals by ``(downstream, upstream)``.
        who: query id -> ``(user, role)`` (``("", "")`` when unknown).
        into: :func:`upstreams_of` ``edges`` (computed here when None; pass it when calling
            for several origins).
        skip: item keys (:attr:`DriftItem.key`) not returned (nor their routes looked up).
    """
    out: list[DriftItem] = []
    if into is None:
        into = upstreams_of(edges)
    for held in (*holdings.columns.values(), *holdings.datasets.values()):
        if held.object_id == holdings.origin or len(held.path) < 2 or math.isinf(held.arrive):
            continue
        kind = "new_egress" if is_egress(held.object_id) else "new_terminal"
        if skip and (kind, holdings.origin, held.object_id) in skip:
            continue
        at = _instant(held.arrive)
        path, opening = _opening_route(held, at, holdings, edges, into)
        query = opening.last_query_id if opening is not None else ""
        user, role = who(query) if query else ("", "")
        out.append(DriftItem(kind, holdings.origin, held.object_id, at, query, user, role, path))
    return out


def arrival_keys(holdings: Holdings) -> Iterable[tuple[str, str, str]]:
    """Yield the key (:attr:`DriftItem.key`) of every item :func:`arrivals` returns for ``holdings``."""
    for held in (*holdings.columns.values(), *holdings.datasets.values()):
        if held.object_id == holdings.origin or len(held.path) < 2 or math.isinf(held.arrive):
            continue
        yield ("new_egress" if is_egress(held.object_id) else "new_terminal", holdings.origin, held.object_id)


def known_subjects(keys: Iterable[tuple[str, str, str]]) -> dict[tuple[str, str], set[str]]:
    """Return ``(kind, origin)`` -> subjects of the item keys (:attr:`DriftItem.key`), for :func:`has_new_arrival`."""
    out: dict[tuple[str, str], set[str]] = {}
    for kind, origin, subject in keys:
        out.setdefault((kind, origin), set()).add(subject)
    return out


def has_new_arrival(holdings: Holdings, known: Mapping[tuple[str, str], Collection[str]]) -> bool:
    """Return True when some key :func:`arrival_keys` yields for ``holdings`` is not in ``known``
    (:func:`known_subjects` of the keys), without building the keys (issue 13 §6)."""
    terminal = known.get(("new_terminal", holdings.origin), ())
    egress = known.get(("new_egress", holdings.origin), ())
    fast = getattr(holdings.datasets, "arrival_ids", None)  # :class:`.held_arrays.HeldByName`
    if fast is not None and not holdings.columns:
        ids: Iterable[str] = fast()
    else:
        ids = (key[2] for key in arrival_keys(holdings))
    return any(s not in (egress if is_egress(s) else terminal) for s in ids)


_NO_VALUE = frozenset({"masked", "counted"})
"""Column-edge transforms that carry no value of the origin (a route through them brought nothing)."""


def _rows_into(edges: Mapping[tuple[str, str], list[EdgeRow]], downstream: str, upstream: str) -> list[EdgeRow]:
    """Return the intervals from ``upstream`` into ``downstream``: column to column, else at dataset level
    (a dataset reached from a column where column lineage is unknown, or a column whose dataset was)."""
    rows = edges.get((downstream, upstream))
    if rows:
        return rows
    down, up = dataset_of(downstream), dataset_of(upstream)  # only when the direct pair has none
    for key in ((down, upstream), (downstream, up), (down, up)):
        rows = edges.get(key)
        if rows:
            return rows
    return []


def _opening_route(held: Any, at: datetime, holdings: Holdings, edges: Mapping[tuple[str, str], list[EdgeRow]],
                   into: Mapping[str, list[str]]) -> tuple[tuple[str, ...], EdgeRow | None]:
    """Return the route and the interval that brought the data into ``held`` at ``at``.

    The holding window is the hull of every route (earliest arrival), while its path is the
    walk's shortest: when the interval from the path's last hop did not open at ``at``,
    another held upstream whose interval did (a longer route that arrived first) names the
    statement, with its own path. Otherwise the interval from the path's last hop holding at
    ``at`` (a view or external table: the data arrived upstream, after the view was made).
    """
    upstream = held.path[-2]
    rows = _rows_into(edges, held.object_id, upstream)
    if any(r.valid_from == at for r in rows):
        return held.path, _interval_at(rows, at)
    dataset = dataset_of(held.object_id)
    for other in sorted({*into.get(held.object_id, ()), *into.get(dataset, ())}):
        source = holdings.columns.get(other) or holdings.datasets.get(other)
        if source is None or other == held.object_id or source.arrive > held.arrive:
            continue
        opened = [r for r in edges.get((held.object_id, other), []) or edges.get((dataset, other), [])
                  if r.valid_from == at and r.kind != "INDIRECT" and r.transform not in _NO_VALUE]
        if opened:
            return (*source.path, held.object_id), opened[0]
    return held.path, _interval_at(rows, at)


def _interval_at(rows: list[EdgeRow], at: datetime) -> EdgeRow | None:
    """Return the interval holding at ``at`` (the latest opened by then), else the first opened after."""
    holding = [r for r in rows if r.valid_from <= at and (r.valid_to is None or r.valid_to >= at)]
    if holding:
        return max(holding, key=lambda r: r.valid_from)
    return min((r for r in rows if r.valid_from >= at), key=lambda r: r.valid_from, default=None)


def first_readers(rows: Iterable[AccessRow]) -> list[DriftItem]:
    """Return a ``new_reader`` item per (origin, principal): their first counted read."""
    first: dict[tuple[str, str], AccessRow] = {}
    for row in rows:
        key = (row.origin, row.principal)
        if key not in first or (row.first_at, row.query_ids) < (first[key].first_at, first[key].query_ids):
            first[key] = row
    return [DriftItem("new_reader", r.origin, r.principal, r.first_at, r.query_ids[0] if r.query_ids else "",
                      r.principal, r.role, r.path) for r in first.values()]
