"""The replaces, drops, renames, swaps, clones and undrops the query history showed.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03

``object_changes`` holds one row per ``CREATE OR REPLACE``, ``DROP``, ``RENAME``, ``SWAP``,
``CLONE`` and ``UNDROP`` of a dataset, schema or database that a crawl recorded (its
``END_TIME``, never query text), so that a masking policy or tag read late (a file out of
``END_TIME`` order, a later crawl) moves with its table across the later renames and swaps
and ends at the later replaces and drops, and an ``UNDROP`` finds its drop in an earlier
crawl. Runs on PostgreSQL and SQLite.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "object_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(1024), nullable=False),
        sa.Column("target", sa.String(1024), nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("container", sa.Boolean(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("query_id", sa.String(256), nullable=False),
        sa.CheckConstraint("mode IN ('recreate', 'drop', 'rename', 'swap', 'clone', 'undrop')",
                           name=op.f("ck_object_changes_mode")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_object_changes")),
        sa.UniqueConstraint("source", "target", "mode", "at", name=op.f("uq_object_changes_source_target_mode_at")),
    )
    op.create_index(op.f("ix_object_changes_source"), "object_changes", ["source"])
    op.create_index(op.f("ix_object_changes_target"), "object_changes", ["target"])


def downgrade() -> None:
    op.drop_index(op.f("ix_object_changes_target"), "object_changes")
    op.drop_index(op.f("ix_object_changes_source"), "object_changes")
    op.drop_table("object_changes")
