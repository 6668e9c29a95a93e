"""Service lease: one replica of ``lineage-engine run`` holds the crawl at a time.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02

``service_lease`` has one row per lease name; the holder renews its row before it
expires and a standby replica takes an expired row over (issue 13 §4, see
:mod:`lineage_engine.lease`). No data moves. Runs on PostgreSQL and SQLite.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "service_lease",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("holder", sa.String(256), nullable=True),
        sa.Column("epoch", sa.BigInteger(), nullable=False),
        sa.Column("acquired_at", _TS, nullable=True),
        sa.Column("expires_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_service_lease")),
    )


def downgrade() -> None:
    op.drop_table("service_lease")
