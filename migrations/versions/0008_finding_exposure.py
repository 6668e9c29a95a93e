"""Findings keep their exposure (full or partial); registry facts know tag-based masking.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02

Issue 10 §1 and §6: a finding says whether the origin's value reaches its terminal whole
(``full``) or only as a fragment such as ``RIGHT(phone, 4)`` (``partial``, rated lower).
Existing findings read ``full`` until the next scan states their exposure.

``registry_facts`` accepts the fact kind ``tag_masking_policy`` (``ALTER TAG t SET MASKING
POLICY p``: the tag's name as catalog_path, the policy as key and value). Runs on PostgreSQL
and SQLite (batch mode on SQLite).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


_KINDS = ("classification", "regulatory_tags", "steward", "masking_policy", "tag", "row_access_policy")


def _kinds(kinds: tuple[str, ...]) -> str:
    return f"fact IN ({', '.join(repr(k) for k in kinds)})"


def upgrade() -> None:
    with op.batch_alter_table("findings") as batch:
        batch.add_column(sa.Column("exposure", sa.String(8), nullable=False, server_default="full"))
    with op.batch_alter_table("registry_facts") as batch:
        batch.drop_constraint(op.f("ck_registry_facts_fact"), type_="check")
        batch.create_check_constraint(op.f("ck_registry_facts_fact"), _kinds((*_KINDS, "tag_masking_policy")))


def downgrade() -> None:
    op.execute("DELETE FROM registry_facts WHERE fact = 'tag_masking_policy'")
    with op.batch_alter_table("registry_facts") as batch:
        batch.drop_constraint(op.f("ck_registry_facts_fact"), type_="check")
        batch.create_check_constraint(op.f("ck_registry_facts_fact"), _kinds(_KINDS))
    with op.batch_alter_table("findings") as batch:
        batch.drop_column("exposure")
