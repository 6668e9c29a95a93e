"""Received OpenLineage run events in the registry (issue 16): store once, read in order."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lineage_engine.registry.tables import OpenLineageEventRow


@dataclass(frozen=True, slots=True)
class ReceivedEvent:
    """One run event as stored: ``body`` reduced to lineage (no free text), ``digest`` its SHA-256 (hex)."""

    digest: str
    run_id: str
    event_type: str
    event_time: datetime
    job: str
    body: dict[str, Any]


def add(session: Session, events: Sequence[ReceivedEvent], now: datetime) -> int:
    """Insert the events whose digest is not stored yet (in the given order); return how many were new."""
    digests = list(dict.fromkeys(e.digest for e in events))
    stored = set(session.scalars(select(OpenLineageEventRow.digest).where(OpenLineageEventRow.digest.in_(digests))))
    new = 0
    for event in events:
        if event.digest in stored:
            continue
        stored.add(event.digest)
        session.add(OpenLineageEventRow(digest=event.digest, run_id=event.run_id, event_type=event.event_type,
                                        event_time=event.event_time, job=event.job[:2048], body=event.body,
                                        received_at=now))
        new += 1
    return new


def after(session: Session, last_id: int, limit: int) -> list[tuple[int, dict[str, Any]]]:
    """Return up to ``limit`` stored events with id above ``last_id``, as (id, body), by id."""
    rows = session.execute(select(OpenLineageEventRow.id, OpenLineageEventRow.body)
                           .where(OpenLineageEventRow.id > last_id).order_by(OpenLineageEventRow.id).limit(limit))
    return [(int(i), dict(body)) for i, body in rows]
