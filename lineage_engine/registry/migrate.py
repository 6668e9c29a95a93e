"""Create or upgrade the registry schema with Alembic, without an ``alembic.ini``.

The scripts live in ``migrations/`` (``lineage_engine/_bundled/migrations`` in a wheel),
found through :func:`lineage_engine.resources.migrations_dir`.
"""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import URL, Engine, text
from sqlalchemy import exc as sa_exc

from lineage_engine.errors import RegistryError
from lineage_engine.registry.engine import (
    create_registry_engine,
    mask_url,
    parse_registry_url,
    translating,
)
from lineage_engine.resources import migrations_dir


def alembic_config() -> Config:
    """Return an Alembic config pointing at the shipped migration scripts."""
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    return config


def upgrade_registry(url: str) -> None:
    """Bring the registry at ``url`` to the newest schema (``alembic upgrade head``).

    Idempotent: a database already at head is left unchanged. SQLite parent folders are
    created as needed. The whole upgrade runs in one transaction where the database
    allows it (PostgreSQL; SQLite for these revisions).

    Raises:
        RegistryError: the URL is invalid, the database is unreachable, or a migration
            failed (the message shows the URL with its password masked).
    """
    parsed = parse_registry_url(url)
    engine = create_registry_engine(parsed)
    try:
        upgrade_engine(engine, parsed)
    finally:
        engine.dispose()


_MIGRATION_LOCK_KEY = 0x4C494E45  # "LINE": the advisory lock that serialises concurrent upgrades


def upgrade_engine(engine: Engine, url: URL) -> None:
    """Run ``alembic upgrade head`` on ``engine``; see :func:`upgrade_registry`.

    Several processes may start at once (replicas of ``lineage-engine run``): on PostgreSQL
    the upgrade holds a transaction-scoped advisory lock, so the second waits and then finds
    the schema at head; SQLite's ``BEGIN IMMEDIATE`` serialises them already.
    """
    config = alembic_config()
    with translating(url, "migrate the registry"):
        with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK_KEY})
            config.attributes["connection"] = connection
            try:
                command.upgrade(config, "head")
            except sa_exc.SQLAlchemyError:
                raise
            except Exception as err:  # alembic's own errors, e.g. an unknown revision
                raise RegistryError(
                    f"registry {mask_url(url)}: migration failed: {err}; the database may have been "
                    "migrated by a newer lineage-engine version"
                ) from err


def current_revision(engine: Engine) -> str | None:
    """Return the schema revision of the database, None when never migrated."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    """Return the newest revision among the shipped scripts."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()
