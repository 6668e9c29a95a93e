"""Findings keep their exposure: full or partial.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02

Issue 10 §1 and §6: a finding says whether the origin's value reaches its terminal whole
(``full``) or only as a fragment such as ``RIGHT(phone, 4)`` (``partial``, rated lower).
Existing findings read ``full`` until the next scan states their exposure. Runs on
PostgreSQL and SQLite (batch mode on SQLite).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("findings") as batch:
        batch.add_column(sa.Column("exposure", sa.String(8), nullable=False, server_default="full"))


def downgrade() -> None:
    with op.batch_alter_table("findings") as batch:
        batch.drop_column("exposure")
