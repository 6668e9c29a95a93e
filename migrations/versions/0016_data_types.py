"""Tag-based masking compares data types: masking_policies.data_type, the data_type fact.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05

A tag-based masking policy protects a column carrying the tag only when the policy's
signature type and the column's type match (Snowflake "Tag-based masking policies"; review
s12 O1, a false negative when every tagged column was taken as masked). ``masking_policies``
keeps the family of a policy's first argument type (``VARCHAR``, ``NUMBER`` …; null for bodies
stored before: a re-crawl of their ``CREATE MASKING POLICY`` fills it), and ``registry_facts``
accepts the fact kind ``data_type`` (a column's type family) and the origin ``columns`` (the
types of tagged tables' columns read from ACCOUNT_USAGE.COLUMNS by ``telemetry.sync_policies``).
Runs on PostgreSQL and SQLite (batch mode on SQLite).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


_KINDS = ("classification", "regulatory_tags", "steward", "masking_policy", "tag", "row_access_policy",
          "tag_masking_policy")


_ORIGINS = ("import", "query_history", "policy_references", "tag_references")


def _kinds(kinds: tuple[str, ...], column: str = "fact") -> str:
    return f"{column} IN ({', '.join(repr(k) for k in kinds)})"


def upgrade() -> None:
    with op.batch_alter_table("masking_policies") as batch:
        batch.add_column(sa.Column("data_type", sa.String(64), nullable=True))
    with op.batch_alter_table("registry_facts") as batch:
        batch.drop_constraint(op.f("ck_registry_facts_fact"), type_="check")
        batch.create_check_constraint(op.f("ck_registry_facts_fact"), _kinds((*_KINDS, "data_type")))
        batch.drop_constraint(op.f("ck_registry_facts_origin"), type_="check")
        batch.create_check_constraint(op.f("ck_registry_facts_origin"), _kinds((*_ORIGINS, "columns"), "origin"))


def downgrade() -> None:
    op.execute("DELETE FROM registry_facts WHERE fact = 'data_type' OR origin = 'columns'")
    with op.batch_alter_table("registry_facts") as batch:
        batch.drop_constraint(op.f("ck_registry_facts_fact"), type_="check")
        batch.create_check_constraint(op.f("ck_registry_facts_fact"), _kinds(_KINDS))
        batch.drop_constraint(op.f("ck_registry_facts_origin"), type_="check")
        batch.create_check_constraint(op.f("ck_registry_facts_origin"), _kinds(_ORIGINS, "origin"))
    with op.batch_alter_table("masking_policies") as batch:
        batch.drop_column("data_type")
