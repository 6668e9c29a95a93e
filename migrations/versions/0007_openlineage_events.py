"""OpenLineage run events received by ``serve`` (or ``openlineage load``), merged by the crawl.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02

Issue 16 §2: an event is stored (reduced to what lineage needs, no SQL text) before the
endpoint answers 2xx, once per SHA-256 digest (a replay stores nothing), and merged into the
graph by the crawler's writer in ``id`` order. Runs on PostgreSQL and SQLite.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "openlineage_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("run_id", sa.String(64), nullable=False),
        sa.Column("event_type", sa.String(16), nullable=False),
        sa.Column("event_time", _TS, nullable=False),
        sa.Column("job", sa.String(2048), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("received_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_openlineage_events")),
        sa.UniqueConstraint("digest", name=op.f("uq_openlineage_events_digest")),
    )


def downgrade() -> None:
    op.drop_table("openlineage_events")
