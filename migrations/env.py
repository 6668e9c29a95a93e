"""Alembic environment for the lineage-engine registry (PostgreSQL and SQLite).

Run programmatically by :func:`lineage_engine.registry.migrate.upgrade_registry`, which
passes an open connection in ``config.attributes["connection"]``; no ``alembic.ini`` is
needed. For ad-hoc use, the URL may come from ``-x url=...`` or ``sqlalchemy.url``.
SQLite gets ``render_as_batch=True`` so that later ALTERs are rewritten as table copies.
"""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import Connection

from lineage_engine.registry.engine import create_registry_engine, parse_registry_url
from lineage_engine.registry.tables import Base, UTCDateTime

config = context.config
target_metadata = Base.metadata


def _render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    """Render ``UTCDateTime`` as the plain column type, so revisions never import the package."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=_render_item,
    )


def _url() -> str:
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option("sqlalchemy.url")
    if not url:
        raise SystemExit("no registry URL: pass -x url=... (or use 'lineage-engine migrate')")
    return url


def run_migrations_offline() -> None:
    """Emit SQL to stdout instead of running it (``alembic upgrade head --sql``)."""
    url = parse_registry_url(_url())
    context.configure(
        url=url,
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=url.get_backend_name() == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run the migrations on the given connection, or on a new one from the URL."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_registry_engine(parse_registry_url(_url()))
    try:
        with engine.begin() as conn:
            _configure(conn)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
