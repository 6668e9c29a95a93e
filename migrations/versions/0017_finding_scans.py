"""Each exposure scan is recorded: an open finding's last sighting is the latest scan's (issue 13 §6).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06

``finding_scans`` holds one row per ``record_scan`` (its instant, UTC), written in the scan's
transaction. Every finding open after a scan was seen by that scan (a scan resolves the open
findings it does not see), so readers take an open finding's ``last_seen_at`` from the latest
scan row, and a scan that finds a finding unchanged no longer rewrites its row (800,000 rows
per steady scan at 100,000 datasets). Additive: existing findings keep their ``last_seen_at``,
which is exact until the first scan after the upgrade writes the first row. Runs on
PostgreSQL and SQLite.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "finding_scans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scanned_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_finding_scans")),
    )


def downgrade() -> None:
    # the open findings' last sighting back on their rows, as the revisions before read it
    op.execute("UPDATE findings SET last_seen_at = (SELECT scanned_at FROM finding_scans ORDER BY id DESC LIMIT 1) "
               "WHERE status = 'open' AND EXISTS (SELECT 1 FROM finding_scans)")
    op.drop_table("finding_scans")
