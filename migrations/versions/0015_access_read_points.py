"""Time Travel reads in access facts: access_reads.content_from.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04

A statement that reads ``t AT | BEFORE (...)`` (Snowflake Time Travel) read ``t``'s content
at that point, not at its ``END_TIME``: ``content_from`` is the earliest such instant among
the aggregate's statements (the epoch for a point not known: any earlier content), null
when every statement read current content. ``access`` counts a read while the object held
the origin's data at any instant from ``content_from`` (else ``first_at``) to ``last_at``.
Existing rows stay null (their points were not kept). Runs on PostgreSQL and SQLite (batch
mode rebuilds the SQLite table).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("access_reads") as batch:
        batch.add_column(sa.Column("content_from", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("access_reads") as batch:
        batch.drop_column("content_from")
