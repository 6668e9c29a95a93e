"""Findings have a kind (exposure, egress, boundary) and a rule; outbound shares have accounts.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02

Issue 14 §4 and §6: the findings ledger tracks three kinds of finding, each one per
(kind, rule, origin, terminal): ``exposure`` (design §7, the only kind before; existing
findings read ``exposure``), ``egress`` (the data left the account: an unload, an outbound
share with accounts, an external function) and ``boundary`` (a path that crosses a
``compliance.boundaries`` rule, named in ``rule``; empty for the other kinds).

``share_accounts`` holds the dated accounts of outbound shares (``ALTER SHARE … ADD |
REMOVE | SET ACCOUNTS``, ``DROP SHARE``); ``external_functions`` the external functions
created in the account (``CREATE [SECURE] EXTERNAL FUNCTION``). Runs on PostgreSQL and
SQLite (batch mode on SQLite).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("findings") as batch:
        batch.add_column(sa.Column("kind", sa.String(16), nullable=False, server_default="exposure"))
        batch.add_column(sa.Column("rule", sa.String(256), nullable=False, server_default=""))
        batch.drop_constraint(op.f("uq_findings_origin_terminal"), type_="unique")
        batch.create_unique_constraint(op.f("uq_findings_kind_rule_origin_terminal"),
                                       ["kind", "rule", "origin", "terminal"])
        batch.create_check_constraint(op.f("ck_findings_kind"), "kind IN ('exposure', 'egress', 'boundary')")
    with op.batch_alter_table("findings") as batch:  # '' filled the existing rows; new rows say their rule
        batch.alter_column("rule", existing_type=sa.String(256), existing_nullable=False, server_default=None)
    op.create_table(
        "share_accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("share", sa.String(256), nullable=False),
        sa.Column("account", sa.String(256), nullable=False),
        sa.Column("valid_from", _TS, nullable=False),
        sa.Column("valid_to", _TS, nullable=True),
        sa.Column("query_id", sa.String(256), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_share_accounts")),
        sa.UniqueConstraint("share", "account", "valid_from", name=op.f("uq_share_accounts_share_account_valid_from")),
    )
    op.create_index(op.f("ix_share_accounts_share"), "share_accounts", ["share"])
    op.create_table(
        "external_functions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("function_id", sa.String(1024), nullable=False),
        sa.Column("valid_from", _TS, nullable=False),
        sa.Column("valid_to", _TS, nullable=True),
        sa.Column("query_id", sa.String(256), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_external_functions")),
        sa.UniqueConstraint("function_id", "valid_from", name=op.f("uq_external_functions_function_id_valid_from")),
    )


def downgrade() -> None:
    op.drop_table("external_functions")
    op.drop_index(op.f("ix_share_accounts_share"), table_name="share_accounts")
    op.drop_table("share_accounts")
    op.execute("DELETE FROM findings WHERE kind <> 'exposure'")
    with op.batch_alter_table("findings") as batch:
        batch.drop_constraint(op.f("ck_findings_kind"), type_="check")
        batch.drop_constraint(op.f("uq_findings_kind_rule_origin_terminal"), type_="unique")
        batch.create_unique_constraint(op.f("uq_findings_origin_terminal"), ["origin", "terminal"])
        batch.drop_column("rule")
        batch.drop_column("kind")
