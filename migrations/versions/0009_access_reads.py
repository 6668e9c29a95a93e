"""Access facts: reads per principal, role, dataset or column and UTC day (issue 14 §1).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02

``access_reads`` aggregates the read side of every successful statement (no query text);
``access_queries`` lists the query ids already aggregated (with user and role), so a
replayed crawl changes nothing; ``drift_seen`` what drift checks have seen (issue 14 §5); ``grant_facts`` dated grants (§3). Runs on PostgreSQL and SQLite.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "access_reads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("principal", sa.String(256), nullable=False),
        sa.Column("role_name", sa.String(256), nullable=False),
        sa.Column("object_kind", sa.String(16), nullable=False),
        sa.Column("object_id", sa.String(1024), nullable=False),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("first_at", _TS, nullable=False),
        sa.Column("last_at", _TS, nullable=False),
        sa.Column("reads", sa.Integer(), nullable=False),
        sa.Column("first_query_id", sa.String(256), nullable=False),
        sa.Column("sample_query_ids", sa.JSON(), nullable=False),
        sa.Column("warehouses", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_reads")),
        sa.UniqueConstraint("principal", "role_name", "object_id", "day",
                            name=op.f("uq_access_reads_principal_role_name_object_id_day")),
        sa.CheckConstraint("object_kind IN ('dataset', 'column')", name=op.f("ck_access_reads_object_kind")),
    )
    op.create_index("ix_access_reads_object_id_day", "access_reads", ["object_id", "day"])
    op.create_table(
        "access_queries",
        sa.Column("query_id", sa.String(256), nullable=False),
        sa.Column("at", _TS, nullable=False),
        sa.Column("principal", sa.String(256), nullable=True),
        sa.Column("role_name", sa.String(256), nullable=True),
        sa.PrimaryKeyConstraint("query_id", name=op.f("pk_access_queries")),
    )
    op.create_table(
        "drift_seen",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("origin", sa.String(1024), nullable=False),
        sa.Column("subject", sa.String(1024), nullable=False),
        sa.Column("first_at", _TS, nullable=True),
        sa.Column("query_id", sa.String(256), nullable=True),
        sa.Column("recorded_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_drift_seen")),
        sa.UniqueConstraint("kind", "origin", "subject", name=op.f("uq_drift_seen_kind_origin_subject")),
        sa.CheckConstraint("kind IN ('new_terminal', 'new_reader', 'new_egress')", name=op.f("ck_drift_seen_kind")),
    )

    op.create_table(
        "grant_facts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("privilege", sa.String(64), nullable=False),
        sa.Column("on_kind", sa.String(64), nullable=False),
        sa.Column("scope", sa.String(16), nullable=False),
        sa.Column("object_id", sa.String(1024), nullable=False),
        sa.Column("grantee_kind", sa.String(32), nullable=False),
        sa.Column("grantee", sa.String(256), nullable=False),
        sa.Column("valid_from", _TS, nullable=False),
        sa.Column("valid_to", _TS, nullable=True),
        sa.Column("origin", sa.String(32), nullable=False),
        sa.Column("query_id", sa.String(256), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_grant_facts")),
        sa.UniqueConstraint("privilege", "on_kind", "scope", "object_id", "grantee_kind", "grantee", "origin",
                            "valid_from",
                            name="uq_grant_facts_key"),
        sa.CheckConstraint("origin IN ('query_history', 'grants_to_roles', 'grants_to_users')",
                           name=op.f("ck_grant_facts_origin")),
    )
    op.create_index("ix_grant_facts_object_id", "grant_facts", ["object_id"])


def downgrade() -> None:
    op.drop_index("ix_grant_facts_object_id", table_name="grant_facts")
    op.drop_table("grant_facts")
    op.drop_table("drift_seen")
    op.drop_table("access_queries")
    op.drop_index("ix_access_reads_object_id_day", table_name="access_reads")
    op.drop_table("access_reads")
