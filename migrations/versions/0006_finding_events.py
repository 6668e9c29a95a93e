"""Findings explain themselves and keep a hash-chained event log; statements name who ran them.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02

Issue 10 §6-7 (and issue 15 §1):

- ``findings`` gains ``explanation`` (the path's hops with their transforms, and the
  statement that put the data into the terminal) and the triage columns ``accepted_at``,
  ``accepted_until``, ``accepted_by``, ``accepted_reason``.
- ``finding_events``: every state change of a finding, append-only; each row stores the
  SHA-256 of the previous one (one chain per installation, ``prev_hash`` unique).
- ``statements``: query id, type, user, role and end time of the statements that changed
  lineage (never their text).

Every finding that exists when this runs gets a ``genesis`` event recording its state, so
the chain covers it from here on. Runs on PostgreSQL and SQLite (batch mode on SQLite).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TS = sa.DateTime(timezone=True)
_EVENTS = "'genesis', 'opened', 'escalated', 'resolved', 'accepted', 'reopened', 'alerted'"


def upgrade() -> None:
    with op.batch_alter_table("findings") as batch:
        batch.add_column(sa.Column("explanation", sa.JSON(none_as_null=True), nullable=True))
        batch.add_column(sa.Column("accepted_at", _TS, nullable=True))
        batch.add_column(sa.Column("accepted_until", _TS, nullable=True))
        batch.add_column(sa.Column("accepted_by", sa.String(256), nullable=True))
        batch.add_column(sa.Column("accepted_reason", sa.Text(), nullable=True))
    op.create_table(
        "finding_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("finding_id", sa.Integer(), nullable=False),
        sa.Column("event", sa.String(16), nullable=False),
        sa.Column("at", _TS, nullable=False),
        sa.Column("actor", sa.String(256), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_finding_events")),
        sa.UniqueConstraint("prev_hash", name=op.f("uq_finding_events_prev_hash")),
        sa.CheckConstraint(f"event IN ({_EVENTS})", name=op.f("ck_finding_events_event")),
    )
    op.create_index(op.f("ix_finding_events_finding_id"), "finding_events", ["finding_id"])
    op.create_table(
        "statements",
        sa.Column("query_id", sa.String(256), nullable=False),
        sa.Column("query_type", sa.String(64), nullable=False),
        sa.Column("user_name", sa.String(256), nullable=True),
        sa.Column("role_name", sa.String(256), nullable=True),
        sa.Column("end_time", _TS, nullable=False),
        sa.PrimaryKeyConstraint("query_id", name=op.f("pk_statements")),
    )
    _genesis()


def _genesis() -> None:
    """Give every existing finding a ``genesis`` event (its state now), chained by finding id."""
    from lineage_engine.registry.events import chain_rows  # the one definition of the hash

    conn = op.get_bind()
    rows = conn.execute(sa.text(
        "SELECT id, status, severity, origin, terminal, opened_at, resolved_at FROM findings ORDER BY id")).all()
    now = datetime.now(timezone.utc)
    events = chain_rows(None, [
        {"finding_id": r.id, "event": "genesis", "at": now, "actor": "migration 0006", "reason": None,
         "details": {"status": r.status, "severity": r.severity, "origin": r.origin, "terminal": r.terminal}}
        for r in rows])
    if events:
        table = sa.table(
            "finding_events", sa.column("finding_id", sa.Integer()), sa.column("event", sa.String()),
            sa.column("at", _TS), sa.column("actor", sa.String()), sa.column("reason", sa.Text()),
            sa.column("details", sa.JSON()), sa.column("prev_hash", sa.String()), sa.column("hash", sa.String()))
        naive = conn.dialect.name == "sqlite"  # stored as naive UTC there, as UTCDateTime does
        op.bulk_insert(table, [{**e, "at": e["at"].replace(tzinfo=None) if naive else e["at"]} for e in events])


def downgrade() -> None:
    op.drop_table("statements")
    op.drop_index(op.f("ix_finding_events_finding_id"), table_name="finding_events")
    op.drop_table("finding_events")
    with op.batch_alter_table("findings") as batch:
        for name in ("accepted_reason", "accepted_by", "accepted_until", "accepted_at", "explanation"):
            batch.drop_column(name)
