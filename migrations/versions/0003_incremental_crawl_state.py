"""Crawl state in its own tables: live sessions, their temporary objects, learned columns.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02

Until now the temp-table resolver's state and the learned schema were one JSON document in
``crawl_state.resolver_state``, rewritten at every batch commit: 13.7 MB and 2.8 s per
batch at 183,000 rows of a large history (issue 13). They are now rows (``crawl_session``,
``crawl_temp``, ``crawl_learned_columns``) that a batch commit inserts, updates or deletes
only where the batch changed them. Existing JSON states are moved into the rows and the
column cleared. Runs on PostgreSQL and SQLite.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    sessions = op.create_table(
        "crawl_session",
        sa.Column("source", sa.String(256), nullable=False),
        sa.Column("session_key", sa.String(768), nullable=False),
        sa.Column("last_seen", _TS, nullable=True),
        sa.PrimaryKeyConstraint("source", "session_key", name=op.f("pk_crawl_session")),
    )
    temps = op.create_table(
        "crawl_temp",
        sa.Column("source", sa.String(256), nullable=False),
        sa.Column("session_key", sa.String(768), nullable=False),
        sa.Column("temp_id", sa.String(1024), nullable=False),
        sa.Column("state", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("source", "session_key", "temp_id", name=op.f("pk_crawl_temp")),
    )
    learned = op.create_table(
        "crawl_learned_columns",
        sa.Column("source", sa.String(256), nullable=False),
        sa.Column("dataset_id", sa.String(1024), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("columns", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("source", "dataset_id", name=op.f("pk_crawl_learned_columns")),
    )
    bind = op.get_bind()
    state_table = sa.table("crawl_state", sa.column("source", sa.String),
                           sa.column("resolver_state", sa.JSON(none_as_null=True)))
    sqlite = bind.dialect.name == "sqlite"
    for source, state in bind.execute(sa.select(state_table.c.source, state_table.c.resolver_state)).all():
        if isinstance(state, str):
            state = json.loads(state)
        if not state:
            continue
        for item in state.get("sessions") or []:
            key = json.dumps(list(item["key"]))
            seen = datetime.fromisoformat(item["last_seen"]) if item.get("last_seen") else None
            if seen is not None:
                seen = seen.astimezone(timezone.utc)
                seen = seen.replace(tzinfo=None) if sqlite else seen
            op.bulk_insert(sessions, [{"source": source, "session_key": key, "last_seen": seen}])
            op.bulk_insert(temps, [{"source": source, "session_key": key, "temp_id": temp_id, "state": temp}
                                   for temp_id, temp in item["temps"].items()])
        op.bulk_insert(learned, [{"source": source, "dataset_id": dataset_id, "seq": seq, "columns": list(columns)}
                                 for seq, (dataset_id, columns) in enumerate(state.get("schema") or [])])
    bind.execute(sa.update(state_table).values(resolver_state=None))


def downgrade() -> None:
    op.drop_table("crawl_learned_columns")
    op.drop_table("crawl_temp")
    op.drop_table("crawl_session")
