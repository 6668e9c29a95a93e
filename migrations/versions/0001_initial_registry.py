"""Create the registry: assets, crawl_state, quarantine, findings, alert_outbox.

Revision ID: 0001
Revises:
Create Date: 2025-01-01

Hand-written to match ``lineage_engine/registry/tables.py``; the schema test compares them.
Names are final (``op.f``): the target metadata's naming convention must not re-prefix them.
Runs on PostgreSQL and SQLite. Datetimes are ``timestamp with time zone`` on PostgreSQL
and naive UTC on SQLite (the ``UTCDateTime`` type normalises on the way in and out).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "assets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("catalog_path", sa.String(1024), nullable=False),
        sa.Column("asset_type", sa.String(16), nullable=False),
        sa.Column("classification", sa.String(16), nullable=False),
        sa.Column("regulatory_tags", sa.JSON(), nullable=False),
        sa.Column("steward", sa.String(256), nullable=True),
        sa.Column("masking_policy", sa.String(256), nullable=True),
        sa.Column("reviewed_at", _TS, nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assets")),
        sa.UniqueConstraint("catalog_path", name=op.f("uq_assets_catalog_path")),
        sa.CheckConstraint("catalog_path = lower(catalog_path)", name=op.f("ck_assets_catalog_path_lower")),
        sa.CheckConstraint("asset_type IN ('dataset', 'column')", name=op.f("ck_assets_asset_type")),
        sa.CheckConstraint(
            "classification IN ('public', 'internal', 'confidential', 'restricted')",
            name=op.f("ck_assets_classification"),
        ),
    )
    op.create_table(
        "crawl_state",
        sa.Column("source", sa.String(256), nullable=False),
        sa.Column("end_time", _TS, nullable=False),
        sa.Column("query_id", sa.String(256), nullable=False),
        sa.Column("rows_total", sa.Integer(), nullable=False),
        sa.Column("resolver_state", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("updated_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("source", name=op.f("pk_crawl_state")),
    )
    op.create_table(
        "quarantine",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(256), nullable=False),
        sa.Column("query_id", sa.String(256), nullable=True),
        sa.Column("position", sa.String(1024), nullable=False),
        sa.Column("reason_code", sa.String(64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("fingerprint", sa.String(128), nullable=True),
        sa.Column("redacted_text", sa.String(4000), nullable=True),
        sa.Column("first_seen_at", _TS, nullable=False),
        sa.Column("last_seen_at", _TS, nullable=False),
        sa.Column("occurrences", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quarantine")),
    )
    op.create_index(
        op.f("uq_quarantine_source_key_reason"),
        "quarantine",
        ["source", sa.text("coalesce(query_id, position)"), "reason_code"],
        unique=True,
    )
    op.create_table(
        "findings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("origin", sa.String(1024), nullable=False),
        sa.Column("terminal", sa.String(1024), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("opened_at", _TS, nullable=False),
        sa.Column("last_seen_at", _TS, nullable=False),
        sa.Column("resolved_at", _TS, nullable=True),
        sa.Column("path", sa.JSON(), nullable=False),
        sa.Column("regulatory_tags", sa.JSON(), nullable=False),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("steward", sa.String(256), nullable=True),
        sa.Column("last_alerted_at", _TS, nullable=True),
        sa.Column("last_alerted_severity", sa.String(16), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_findings")),
        sa.UniqueConstraint("origin", "terminal", name=op.f("uq_findings_origin_terminal")),
        sa.CheckConstraint("status IN ('open', 'resolved')", name=op.f("ck_findings_status")),
    )
    op.create_index(op.f("ix_findings_status"), "findings", ["status"])
    op.create_table(
        "alert_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("dedupe_key", sa.String(512), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_attempt_at", _TS, nullable=True),
        sa.Column("delivered_at", _TS, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_outbox")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_alert_outbox_dedupe_key")),
    )
    op.create_index(op.f("ix_alert_outbox_delivered_at"), "alert_outbox", ["delivered_at"])


def downgrade() -> None:
    op.drop_table("alert_outbox")
    op.drop_table("findings")
    op.drop_table("quarantine")
    op.drop_table("crawl_state")
    op.drop_table("assets")
