"""Registry storage of access facts (issue 14 §1): daily read aggregates, idempotent by query id.

Functions take an open SQLAlchemy session (one transaction of
:class:`~lineage_engine.registry.repository.Registry`). Why the registry and not the graph:
aggregates are counters updated in place per (principal, role, object, day) and read by id
and day range, which SQL indexes serve on both registry backends; the graph stays lineage
only (one writer on the embedded engine, and reads are the bulk of a query history).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from lineage_engine.access.aggregate import SAMPLE_SIZE, AccessKey, AccessRead, Delta, aggregate, utc_day
from lineage_engine.access.reads import ReadFact
from lineage_engine.registry.tables import AccessQueryRow, AccessReadRow, DriftSeenRow

_CHUNK = 500


def _chunks(items: Sequence[str]) -> Iterable[Sequence[str]]:
    for offset in range(0, len(items), _CHUNK):
        yield items[offset:offset + _CHUNK]


def record_reads(session: Session, facts: Sequence[ReadFact]) -> int:
    """Add ``facts`` to the aggregates; return how many statements were new.

    A query id already aggregated (a replayed batch, a re-read source) is skipped, so
    replays change nothing. Written with Core statements in bulk (reads are the bulk of a
    history: ORM objects per aggregate cost more than the parse of the reads).
    """
    unique: dict[str, ReadFact] = {}
    for fact in facts:
        unique.setdefault(fact.query_id, fact)
    if not unique:
        return 0
    ids = sorted(unique)
    seen: set[str] = set()
    for chunk in _chunks(ids):
        seen.update(session.scalars(select(AccessQueryRow.query_id).where(AccessQueryRow.query_id.in_(chunk))))
    new = [unique[i] for i in ids if i not in seen]
    if not new:
        return 0
    session.execute(insert(AccessQueryRow.__table__), [{"query_id": f.query_id, "at": f.at, "principal": f.principal or None,
                                              "role_name": f.role or None} for f in new])
    deltas = aggregate(new)
    existing = _existing(session, deltas)
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for key, delta in deltas.items():
        row = existing.get(key)
        if row is None:
            principal, role, kind, object_id, day = key
            inserts.append({"principal": principal, "role_name": role, "object_kind": kind, "object_id": object_id,
                            "day": day, "first_at": delta.first_at, "last_at": delta.last_at, "reads": delta.reads,
                            "first_query_id": delta.first_query_id, "sample_query_ids": list(delta.samples),
                            "warehouses": sorted(delta.warehouses), "content_from": delta.content_from})
        else:
            updates.append(_merged(row, delta))
    if inserts:
        session.execute(insert(AccessReadRow.__table__), inserts)  # Core: no ORM bulk step per row
    if updates:
        table = AccessReadRow.__table__
        session.execute(update(table).where(table.c.id == bindparam("row_id")).values(
            first_at=bindparam("new_first_at"), last_at=bindparam("new_last_at"), reads=bindparam("new_reads"),
            first_query_id=bindparam("new_first_query_id"), sample_query_ids=bindparam("new_samples"),
            warehouses=bindparam("new_warehouses"), content_from=bindparam("new_content_from")), updates)
    return len(new)


def _existing(session: Session, deltas: dict[AccessKey, Delta]) -> dict[AccessKey, Any]:
    days = sorted({k[4] for k in deltas})
    objects = sorted({k[3] for k in deltas})
    table = AccessReadRow.__table__
    found: dict[AccessKey, Any] = {}
    for chunk in _chunks(objects):
        rows = session.execute(select(table).where(table.c.object_id.in_(chunk), table.c.day.in_(days)))
        for row in rows:
            key = (row.principal, row.role_name, row.object_kind, row.object_id, row.day)
            if key in deltas:
                found[key] = row
    return found


def _merged(row: Any, delta: Delta) -> dict[str, Any]:
    first_at, first_query_id = row.first_at, row.first_query_id
    if delta.first_at < first_at:
        first_at, first_query_id = delta.first_at, delta.first_query_id
    samples = list(row.sample_query_ids or [])
    samples += [q for q in delta.samples if q not in samples][:max(0, SAMPLE_SIZE - len(samples))]
    return {"row_id": row.id, "new_first_at": first_at, "new_last_at": max(row.last_at, delta.last_at),
            "new_reads": row.reads + delta.reads, "new_first_query_id": first_query_id, "new_samples": samples,
            "new_warehouses": sorted(set(row.warehouses or []) | set(delta.warehouses))[:SAMPLE_SIZE],
            "new_content_from": min((c for c in (row.content_from, delta.content_from) if c is not None), default=None)}


def _record(row: AccessReadRow) -> AccessRead:
    return AccessRead(principal=row.principal, role=row.role_name, object_kind=row.object_kind,
                      object_id=row.object_id, day=row.day, first_at=row.first_at, last_at=row.last_at,
                      reads=row.reads, first_query_id=row.first_query_id,
                      sample_query_ids=tuple(row.sample_query_ids or ()), warehouses=tuple(row.warehouses or ()),
                      content_from=row.content_from)


def list_reads(session: Session, *, objects: Sequence[str] | None = None, principal: str | None = None,
               since: datetime | None = None, until: datetime | None = None) -> list[AccessRead]:
    """Return aggregates of the given objects and/or principal whose day meets ``[since, until]``.

    Args:
        objects: dataset or column ids (None: every object).
        principal: a USER_NAME, compared case-insensitively (None: every principal).
        since, until: aware UTC bounds; an aggregate is returned when its day overlaps them
            (the caller compares ``first_at`` / ``last_at`` exactly).
    """
    conditions = []
    if principal is not None:
        conditions.append(AccessReadRow.principal == principal.upper())
    if since is not None:
        conditions.append(AccessReadRow.day >= utc_day(since))
    if until is not None:
        conditions.append(AccessReadRow.day <= utc_day(until))
    order = (AccessReadRow.day, AccessReadRow.principal, AccessReadRow.role_name, AccessReadRow.object_id)
    if objects is None:
        return [_record(r) for r in session.scalars(select(AccessReadRow).where(*conditions).order_by(*order))]
    out: list[AccessRead] = []
    for chunk in _chunks(sorted(set(objects))):
        out.extend(_record(r) for r in session.scalars(
            select(AccessReadRow).where(AccessReadRow.object_id.in_(chunk), *conditions).order_by(*order)))
    return out


def who_ran(session: Session, query_ids: Sequence[str]) -> dict[str, tuple[str, str]]:
    """Return query id -> (user, role) for the statements whose reads were recorded."""
    out: dict[str, tuple[str, str]] = {}
    for chunk in _chunks(sorted(set(q for q in query_ids if q))):
        for row in session.execute(select(AccessQueryRow.query_id, AccessQueryRow.principal, AccessQueryRow.role_name)
                                   .where(AccessQueryRow.query_id.in_(chunk))):
            out[row[0]] = (row[1] or "", row[2] or "")
    return out


def drift_seen(session: Session) -> set[tuple[str, str, str]]:
    """Return the ``(kind, origin, subject)`` of every drift item recorded so far."""
    table = DriftSeenRow.__table__
    return set(session.execute(select(table.c.kind, table.c.origin, table.c.subject)).tuples())


def record_drift(session: Session, items: Sequence[Any], now: datetime,
                 payload: Callable[[Any], dict[str, Any]], *, group_above: int = 0,
                 group_payload: Callable[[Sequence[Any]], dict[str, Any]] | None = None) -> tuple[int, bool]:
    """Store drift items not seen before and queue one ``drift`` alert for each, in one transaction.

    The first check of a registry (nothing seen yet) is a **baseline**: it stores what it
    finds without alerting (every reader and copy would otherwise be "new" at once). More
    than ``group_above`` new items of one kind and origin (``monitoring.alert_group_above``;
    0: never) are one alert, ``group_payload(items)``; each item is still stored.

    Returns:
        ``(new items, baseline)``.
    """
    from lineage_engine.registry.findings import group_key_name, insert_alerts, runs_in_order

    table = DriftSeenRow.__table__
    baseline = session.scalar(select(table.c.id).limit(1)) is None
    seen = set(session.execute(select(table.c.kind, table.c.origin, table.c.subject)).tuples())
    new = [i for i in items if i.key not in seen]
    rows = [{"kind": i.kind, "origin": i.origin, "subject": i.subject, "first_at": i.at,
             "query_id": i.query_id or None, "recorded_at": now} for i in new]
    for start in range(0, len(rows), _DRIFT_CHUNK):  # many rows per statement, no ORM objects
        session.execute(table.insert(), rows[start:start + _DRIFT_CHUNK])
    if not baseline and new:  # one alert per new item, its key once (as one insert_alert each), or per group
        alerts: list[tuple[str, dict[str, Any] | Callable[[], dict[str, Any]]]] = []
        for run in runs_in_order(new, lambda i: (i.kind, i.origin), group_above if group_payload is not None else 0):
            item = run[0]
            if len(run) == 1:
                alerts.append((f"drift:{item.kind}:{item.origin}:{item.subject}"[:512], payload(item)))
            elif group_payload is not None:  # always, for a run of several
                alerts.append((f"drift:group:{group_key_name(item.kind, item.origin)}:{now.isoformat()}",
                               group_payload(run)))
        insert_alerts(session, "drift", alerts, now)
    return len(new), baseline


_DRIFT_CHUNK = 5_000
"""``drift_seen`` rows per INSERT statement in :func:`record_drift`."""
