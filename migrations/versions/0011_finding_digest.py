"""Findings carry a digest of what the last scan stored on them (issue 13 §6, a steady scan writes little).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03

``findings.digest``: 32 hex characters, a BLAKE2b digest of the fields a scan stores on an
open finding (severity, path, regulatory tags, level, steward, exposure, note and the
explanation; :func:`lineage_engine.registry.findings.finding_digest`). A scan that finds the
same path with the same digest only moves ``last_seen_at``, in one statement per 5,000
findings, without loading the row. Existing findings have no digest (NULL): the first scan
after the upgrade compares them field by field, as before, and stores their digest. Nothing
else changes: ids, events and their hash chain stay as they are. Runs on PostgreSQL and
SQLite (batch mode on SQLite).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("findings") as batch:
        batch.add_column(sa.Column("digest", sa.String(32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("findings") as batch:
        batch.drop_column("digest")
