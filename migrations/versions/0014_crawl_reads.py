"""Reads of persistent names remembered per session in the crawl state.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03

``crawl_reads`` holds, per source, session and persistent name, the latest statements of that
session that read the name (end time, query id and type, target, column edges out of the name,
role; never query text). A temporary object of that name created by a row read later but ended
earlier (a file out of ``END_TIME`` order) is what they read: the crawl adds its lineage at
their positions. Kept with the watermark like the session's temps (and forgotten with them),
so where crawls cut the history changes nothing. Runs on PostgreSQL and SQLite.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "crawl_reads",
        sa.Column("source", sa.String(256), nullable=False),
        sa.Column("session_key", sa.String(768), nullable=False),
        sa.Column("name", sa.String(1024), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("reads", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("source", "session_key", "name", name=op.f("pk_crawl_reads")),
    )


def downgrade() -> None:
    op.drop_table("crawl_reads")
