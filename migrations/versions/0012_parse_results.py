"""Extraction results kept so that reading a history again parses nothing twice.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03

Issue 13: ``parse_results`` holds one row per distinct statement a crawl extracted and parser
version (:mod:`lineage_engine.parse_store`): ``key`` digests the statement's parse cache key
(parameterized hash or a digest of the text, with the session's database and schema) and the
parser version, ``body`` the compressed result without any text. A crawl reading the history
again (``crawl --reset-watermark``) takes a stored result only when its learned columns still
give the answers the result was extracted with. Runs on PostgreSQL and SQLite.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "parse_results",
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_parse_results")),
    )


def downgrade() -> None:
    op.drop_table("parse_results")
