"""Create or upgrade the registry schema with Alembic, without an ``alembic.ini``.

The scripts live in ``migrations/`` (``lineage_engine/_bundled/migrations`` in a wheel),
found through :func:`lineage_engine.resources.migrations_dir`.

An empty database (no table at all) is created at head directly from the models, then
stamped with the head revision, as Alembic's ``stamp`` would: the same schema as running
every revision from the first (tests/registry/test_registry_fast_path.py compares the two
table by table, column order included), without importing Alembic (and Mako, Pygments)
or running 13 revisions, which were most of a first ``lineage-engine migrate``.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import URL, Column, Connection, Engine, MetaData, PrimaryKeyConstraint, String, Table, inspect, text
from sqlalchemy import exc as sa_exc

from lineage_engine.errors import RegistryError
from lineage_engine.registry.engine import (
    create_registry_engine,
    mask_url,
    parse_registry_url,
    translating,
)
from lineage_engine.resources import migrations_dir

if TYPE_CHECKING:
    from alembic.config import Config


def alembic_config() -> Config:
    """Return an Alembic config pointing at the shipped migration scripts."""
    from alembic.config import Config

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
    the schema at head; SQLite's ``BEGIN IMMEDIATE`` serialises them already. An empty
    database is created at head from the models and stamped (:func:`create_at_head`), in
    the same transaction; one stamped at head is left as it is without importing Alembic
    (:func:`at_head`).
    """
    with translating(url, "migrate the registry"):
        with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK_KEY})
            if create_at_head(connection) or at_head(connection):
                return
            from alembic import command

            config = alembic_config()
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


def create_at_head(connection: Connection, *, head: str | None = None) -> bool:
    """Create the schema at head on an EMPTY database and stamp it; return False otherwise.

    Empty means no table in the connection's default schema (PostgreSQL: the first schema
    of the ``search_path``): a database holding anything (an older registry, a partial one,
    another application's tables) is left to Alembic. Also False when the head revision
    cannot be read from the scripts (:func:`script_head`). Runs in the caller's transaction.
    """
    head = head or script_head()
    if head is None or inspect(connection).get_table_names():
        return False
    from lineage_engine.registry.tables import Base

    Base.metadata.create_all(connection)
    version = version_table()
    version.create(connection)
    connection.execute(version.insert().values(version_num=head))
    return True


def at_head(connection: Connection) -> bool:
    """Return True when the database is stamped at the shipped scripts' head (:func:`script_head`):
    nothing to upgrade, and Alembic is not imported (0.3 s of CPU at every start of a command,
    issue 13). False when the head cannot be read from the scripts, the version table is missing
    or holds anything else (Alembic decides). Runs in the caller's transaction."""
    head = script_head()
    if head is None or not inspect(connection).has_table("alembic_version"):
        return False
    return list(connection.execute(text("SELECT version_num FROM alembic_version")).scalars()) == [head]


def version_table() -> Table:
    """Return Alembic's version table as ``alembic upgrade`` creates it (``alembic_version``,
    ``version_num VARCHAR(32) NOT NULL``, primary key ``alembic_version_pkc``)."""
    return Table("alembic_version", MetaData(), Column("version_num", String(32), nullable=False),
                 PrimaryKeyConstraint("version_num", name="alembic_version_pkc"))


_REVISION = re.compile(r"""^revision(?:\s*:\s*str)?\s*=\s*["']([^"']+)["']\s*$""", re.MULTILINE)
_DOWN_REVISION = re.compile(
    r"""^down_revision(?:\s*:\s*[\w |\[\],]+)?\s*=\s*(?:None|["']([^"']+)["'])\s*$""", re.MULTILINE)


def script_head() -> str | None:
    """Return the head revision of the shipped scripts, read from their text (no Alembic).

    Each ``versions/*.py`` must state ``revision = "..."`` and ``down_revision = "..."`` or
    ``None`` on lines of their own; None (use Alembic) when a script does not, or when the
    scripts do not form one chain with one head (a merge, a branch).
    """
    return _script_head(migrations_dir() / "versions")


@lru_cache(maxsize=4)
def _script_head(versions: Path) -> str | None:
    revisions: set[str] = set()
    downs: set[str] = set()
    roots = 0
    for script in sorted(versions.glob("*.py")):
        source = script.read_text(encoding="utf-8")
        revision = _REVISION.findall(source)
        down = _DOWN_REVISION.findall(source)
        if len(revision) != 1 or len(down) != 1 or revision[0] in revisions:
            return None
        revisions.add(revision[0])
        if down[0]:
            downs.add(down[0])
        else:
            roots += 1
    heads = revisions - downs
    if roots != 1 or len(heads) != 1 or not downs <= revisions or len(downs) != len(revisions) - 1:
        return None
    return heads.pop()


def current_revision(engine: Engine) -> str | None:
    """Return the schema revision of the database, None when never migrated."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    """Return the newest revision among the shipped scripts."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()
