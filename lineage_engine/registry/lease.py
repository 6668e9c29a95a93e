"""Lease rows: which replica holds a named lease, taken and renewed by conditional updates.

Pure database steps inside a caller's transaction; the policy (how long, how often, when a
holder is known dead) lives in :mod:`lineage_engine.lease`. A claim is one ``UPDATE … WHERE``
that succeeds only when the row is free, expired, already ours, or held by a holder the
caller proved dead, so two replicas can never both succeed (PostgreSQL and SQLite both run
a single-row UPDATE atomically).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import case, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from lineage_engine.registry.tables import ServiceLeaseRow

_NEVER = datetime(1970, 1, 1, tzinfo=timezone.utc)


@dataclass(frozen=True)
class LeaseState:
    """One lease row: ``holder`` None when released; times aware UTC.

    ``epoch`` grows by one each time the lease changes hands.
    """

    name: str
    holder: str | None
    epoch: int
    acquired_at: datetime | None
    expires_at: datetime

    def held_by(self, holder: str, now: datetime) -> bool:
        """Return True when ``holder`` holds the lease at ``now`` (aware UTC)."""
        return self.holder == holder and now < self.expires_at


def _ensure_row(session: Session, name: str) -> None:
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(insert(ServiceLeaseRow).values(name=name, holder=None, epoch=0, acquired_at=None,
                                                   expires_at=_NEVER).on_conflict_do_nothing())


def read(session: Session, name: str) -> LeaseState | None:
    """Return the lease row ``name``, None when no replica ever claimed it."""
    row = session.scalars(select(ServiceLeaseRow).where(ServiceLeaseRow.name == name)).one_or_none()
    if row is None:
        return None
    return LeaseState(row.name, row.holder, row.epoch, row.acquired_at, row.expires_at)


def claim(session: Session, name: str, holder: str, *, now: datetime, expires_at: datetime,
          dead_holder: str | None = None) -> bool:
    """Take or renew lease ``name`` for ``holder`` until ``expires_at``; return True on success.

    Succeeds when the row is free (no holder), expired at ``now``, already ``holder``'s, or
    held by ``dead_holder`` (a holder the caller knows has exited). A renewal keeps
    ``acquired_at`` and ``epoch``; a take-over sets ``acquired_at`` to ``now`` and bumps ``epoch``.
    """
    _ensure_row(session, name)
    row = ServiceLeaseRow
    free = [row.holder.is_(None), row.holder == holder, row.expires_at <= now]
    if dead_holder is not None:
        free.append(row.holder == dead_holder)
    ours = row.holder == holder
    result = session.execute(
        update(row)
        .where(row.name == name, or_(*free))
        .values(holder=holder, expires_at=expires_at,
                acquired_at=case((ours, row.acquired_at), else_=now),
                epoch=case((ours, row.epoch), else_=row.epoch + 1))
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def release(session: Session, name: str, holder: str, *, now: datetime) -> bool:
    """Give lease ``name`` up if ``holder`` holds it (expires at ``now``); return True when it did."""
    row = ServiceLeaseRow
    result = session.execute(update(row).where(row.name == name, row.holder == holder)
                             .values(holder=None, expires_at=now).execution_options(synchronize_session=False))
    return result.rowcount == 1
