"""Who read an origin's data: stored read aggregates matched to holding windows (issue 14 §2).

Pure: stdlib and :mod:`lineage_engine.access`. The time rules (README "Access history"):

* A read of an object counts for an origin when the object **held the origin's data at the
  time of the read**: ``arrive <= read time <= leave`` of its window
  (:mod:`.windows`; both ends inclusive: statements ending at the same instant cannot be
  ordered, so they count). A read of a copy before the copy got the data, or after it was
  dropped or replaced without it, does not count. The origin itself always holds.
* Reads are stored per UTC day (first and last read time, count). An aggregate counts when
  some of its span ``[first, last]`` lies in the window; when part of it lies outside
  (the copy got the data, or lost it, during that day), the row says so in ``note``: its
  count may include reads of that day made outside the window (over-report, never under).
* Column origins: a read of a held column counts (also one of ``D.*``, "every column of
  D", when D has a held column); a read of a dataset counts only where the walk went on at
  table level (column lineage unknown). ``COUNT(*)`` of the origin's table reads no column:
  it does not count. Dataset origins: reads of held datasets count.
* ``since`` / ``until`` bound the read time the same way.
* A Time Travel read (``FROM t AT | BEFORE (...)``) read ``t``'s content at its point: an
  aggregate with ``content_from`` counts when the object held the data at any instant from
  that point to its last read (the hull: over-report, never under), and says so in ``note``
  when the object did not hold it at the read times themselves. A point not known (the
  epoch) reads any earlier content.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from lineage_engine.access.aggregate import SAMPLE_SIZE, AccessRead
from lineage_engine.access.windows import Held, Holdings, gaps_between, is_star, micros
from lineage_engine.model import dataset_of

PARTIAL_DAY = "some reads of that day may fall outside the window in which the object held the data"
PARTIAL_RANGE = "some reads of that day may fall outside --since/--until"
TIME_TRAVEL = "a Time Travel read (AT | BEFORE): counted for the content it read at its point"
TIME_TRAVEL_UNKNOWN = ("a Time Travel read at a point not known (a timestamp without a zone, an expression, "
                       "a query id not seen): counted as a read of any earlier content (over-report)")


@dataclass(frozen=True, slots=True)
class AccessRow:
    """One principal and role who read an origin's data through one object.

    Attributes:
        origin: the origin id.
        principal, role: who read (USER_NAME, ROLE_NAME; ``""`` when unknown).
        read: the dataset or column read; a read of ``D.*`` (every column of D: columns not
            known) is listed under the column of D that held the data.
        path: ids from the origin to the object held (origin first; one id: the origin).
        first_at, last_at: first and last read (aware UTC).
        reads: statements counted.
        query_ids: the first read's query id, then up to four more.
        exposure: ``full`` or ``partial`` (a fragment of the value).
        note: why the count may include reads outside the window, else ``""``.
    """

    origin: str
    principal: str
    role: str
    read: str
    path: tuple[str, ...]
    first_at: datetime
    last_at: datetime
    reads: int
    query_ids: tuple[str, ...]
    exposure: str
    note: str

    @property
    def hops(self) -> int:
        """Return the lineage edges between the origin and the object read."""
        return len(self.path) - 1


def window_for(holdings: Holdings, read: AccessRead) -> Held | None:
    """Return the window that decides whether ``read`` counts for the origin, or None."""
    if read.object_kind == "dataset":
        return holdings.datasets.get(read.object_id)
    if is_star(read.object_id):
        held = holdings.by_dataset.get(dataset_of(read.object_id), [])
        if not held:
            return None
        best = min(held, key=lambda h: (len(h.path), h.path))
        arrive, leave = min(h.arrive for h in held), max(h.leave for h in held)
        spans = [span for h in held for span in _spans(h)]
        return Held(best.object_id, arrive, leave, best.path,
                    "full" if any(h.exposure == "full" for h in held) else "partial",
                    gaps_between(spans, arrive, leave) if any(h.gaps for h in held) else ())
    return holdings.columns.get(read.object_id)


def _spans(held: Held) -> list[tuple[float, float]]:
    """Return the stretches of ``held``'s window outside its gaps."""
    out, start = [], held.arrive
    for gap_start, gap_end in held.gaps:
        out.append((start, gap_start))
        start = gap_end
    out.append((start, held.leave))
    return out


def who_read(holdings: Holdings, reads: Iterable[AccessRead], *, since: datetime | None = None,
             until: datetime | None = None) -> list[AccessRow]:
    """Return one row per (principal, role, object read) whose reads count (see the module doc).

    Sorted by principal, role, then hops and object id.
    """
    low = micros(since) if since is not None else float("-inf")
    high = micros(until) if until is not None else float("inf")
    groups: dict[tuple[str, str, str], list[tuple[AccessRead, Held, str]]] = {}
    for read in reads:
        held = window_for(holdings, read)
        if held is None:
            continue
        first, last = micros(read.first_at), micros(read.last_at)
        content = micros(read.content_first)  # the earliest content read: a Time Travel point, else first
        if not held.holds_during(content, last) or last < low or first > high:
            continue
        note = "" if held.covers(first, last) else PARTIAL_DAY if held.holds_during(first, last) else TIME_TRAVEL
        if read.content_from is not None and read.content_from.timestamp() == 0 and not held.holds_during(first, last):
            note = TIME_TRAVEL_UNKNOWN  # what it read is not known: what was seen is the widest window
        if not note and (first < low or last > high):
            note = PARTIAL_RANGE
        # a read of "every column of D" is listed under the column of D that held the data
        groups.setdefault((read.principal, read.role, held.object_id if read.object_kind == "column" else read.object_id),
                          []).append((read, held, note))
    rows: list[AccessRow] = []
    for (principal, role, object_id), items in groups.items():
        items.sort(key=lambda i: (i[0].first_at, i[0].first_query_id))
        ids: list[str] = []
        for read, _, _ in items:
            for q in (read.first_query_id, *read.sample_query_ids):
                if q not in ids and len(ids) < SAMPLE_SIZE:
                    ids.append(q)
        held = items[0][1]
        rows.append(AccessRow(
            origin=holdings.origin, principal=principal, role=role, read=object_id, path=held.path,
            first_at=min(r.first_at for r, _, _ in items), last_at=max(r.last_at for r, _, _ in items),
            reads=sum(r.reads for r, _, _ in items), query_ids=tuple(ids),
            exposure="full" if any(h.exposure == "full" for _, h, _ in items) else "partial",
            note=TIME_TRAVEL_UNKNOWN if any(n == TIME_TRAVEL_UNKNOWN for _, _, n in items)
            else next((n for _, _, n in items if n), "")))
    rows.sort(key=lambda r: (r.principal, r.role, r.hops, r.read))
    return rows
