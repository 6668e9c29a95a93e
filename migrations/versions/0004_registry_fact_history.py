"""Registry facts keep their history: registry_facts, masking_policies, column_reads.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02

Classification, regulatory tags, steward, masking policy, warehouse tags and row access
policies become dated facts (``valid_from`` / ``valid_to``, UTC) so an as-of answer uses
the facts of that instant (issue 10 §2). Existing assets are carried over as import facts
valid from the epoch (1970-01-01 UTC): the registry described them without a date, the
same rule as an asset's first import. ``masking_policies`` keeps what is understood of a
policy body (roles allowed clear text, never other literals); ``column_reads`` the role of
each copy out of a masked column; findings get the unmasked window and a note. Runs on PostgreSQL and SQLite.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TS = sa.DateTime(timezone=True)
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def upgrade() -> None:
    facts = op.create_table(
        "registry_facts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("catalog_path", sa.String(1024), nullable=False),
        sa.Column("fact", sa.String(32), nullable=False),
        sa.Column("key", sa.String(256), nullable=False),
        sa.Column("value", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("origin", sa.String(32), nullable=False),
        sa.Column("valid_from", _TS, nullable=False),
        sa.Column("valid_to", _TS, nullable=True),
        sa.Column("query_id", sa.String(256), nullable=True),
        sa.Column("recorded_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registry_facts")),
        sa.UniqueConstraint(
            "catalog_path", "fact", "key", "origin", "valid_from",
            name=op.f("uq_registry_facts_catalog_path_fact_key_origin_valid_from"),
        ),
        sa.CheckConstraint(
            "fact IN ('classification', 'regulatory_tags', 'steward', 'masking_policy', 'tag', "
            "'row_access_policy')",
            name=op.f("ck_registry_facts_fact"),
        ),
        sa.CheckConstraint(
            "origin IN ('import', 'query_history', 'policy_references', 'tag_references')",
            name=op.f("ck_registry_facts_origin"),
        ),
    )  # fmt: skip
    op.create_index("ix_registry_facts_fact_valid_from", "registry_facts", ["fact", "valid_from"])
    op.create_table(
        "masking_policies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("understood", sa.Boolean(), nullable=False),
        sa.Column("clear_roles", sa.JSON(), nullable=False),
        sa.Column("valid_from", _TS, nullable=False),
        sa.Column("valid_to", _TS, nullable=True),
        sa.Column("query_id", sa.String(256), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_masking_policies")),
        sa.UniqueConstraint("name", "valid_from", name=op.f("uq_masking_policies_name_valid_from")),
    )
    op.create_table(
        "column_reads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("downstream", sa.String(1024), nullable=False),
        sa.Column("upstream", sa.String(1024), nullable=False),
        sa.Column("at", _TS, nullable=False),
        sa.Column("query_id", sa.String(256), nullable=False),
        sa.Column("role_name", sa.String(256), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_column_reads")),
        sa.UniqueConstraint(
            "downstream", "upstream", "query_id", name=op.f("uq_column_reads_downstream_upstream_query_id")
        ),
    )
    op.create_index(op.f("ix_column_reads_upstream"), "column_reads", ["upstream"])
    with op.batch_alter_table("findings") as batch:
        batch.add_column(sa.Column("unmasked_from", _TS, nullable=True))
        batch.add_column(sa.Column("unmasked_to", _TS, nullable=True))
        batch.add_column(sa.Column("note", sa.Text(), nullable=True))
    _carry_over_assets(facts)


def _carry_over_assets(facts: sa.Table) -> None:
    bind = op.get_bind()
    assets = sa.table(
        "assets",
        sa.column("catalog_path", sa.String()),
        sa.column("classification", sa.String()),
        sa.column("regulatory_tags", sa.JSON()),
        sa.column("steward", sa.String()),
        sa.column("masking_policy", sa.String()),
    )
    epoch = _EPOCH.replace(tzinfo=None) if bind.dialect.name == "sqlite" else _EPOCH
    now = datetime.now(timezone.utc)
    now = now.replace(tzinfo=None) if bind.dialect.name == "sqlite" else now
    rows = []
    for path, cls, tags, steward, policy in bind.execute(sa.select(assets)):
        values = {"classification": cls, "regulatory_tags": list(tags or []) or None, "steward": steward,
                  "masking_policy": policy}
        for fact, value in values.items():
            if value is not None:
                rows.append({"catalog_path": path, "fact": fact, "key": "", "value": value, "origin": "import",
                             "valid_from": epoch, "valid_to": None, "query_id": None, "recorded_at": now})
    if rows:
        op.bulk_insert(facts, rows)


def downgrade() -> None:
    with op.batch_alter_table("findings") as batch:
        batch.drop_column("note")
        batch.drop_column("unmasked_to")
        batch.drop_column("unmasked_from")
    op.drop_table("column_reads")
    op.drop_table("masking_policies")
    op.drop_index("ix_registry_facts_fact_valid_from", table_name="registry_facts")
    op.drop_table("registry_facts")
