"""File sources resume at a position: crawl_state.position, and end_time may be null.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01

A file source's watermark is a byte offset, a line and digests of the bytes before it
(issue 11), not a time: rows dated in the future or out of order can no longer hide the
rows after them. ``end_time`` describes the last row read and is null while a crawl has
read only unreadable rows. Existing watermarks keep their keyset and get a position on
their next crawl. Runs on PostgreSQL and SQLite (batch mode rebuilds the SQLite table).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("crawl_state") as batch:
        batch.add_column(sa.Column("position", sa.JSON(none_as_null=True), nullable=True))
        batch.alter_column("end_time", existing_type=sa.DateTime(timezone=True), nullable=True)


def downgrade() -> None:
    with op.batch_alter_table("crawl_state") as batch:
        batch.drop_column("position")
