"""Registry database engines and the translation of driver errors into ``RegistryError``.

Two backends: ``sqlite:///path/registry.db`` (embedded) and
``postgresql+psycopg://user:pw@host:port/db`` (``postgresql://`` and ``postgres://`` are
read as psycopg 3). The password never appears in a message: URLs are rendered with
:func:`mask_url`, and driver messages are scrubbed of it as well.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from sqlalchemy import URL, Engine, create_engine, event, make_url
from sqlalchemy import exc as sa_exc

from lineage_engine.errors import RegistryError, RegistryNotFoundError, TransientRegistryError
from lineage_engine.private_files import prepare_private_file

MIGRATE_HINT = "run 'lineage-engine migrate' to create or upgrade the registry tables"
_SQLITE_BUSY_TIMEOUT_S = 30.0
_PG_CONNECT_TIMEOUT_S = 10


def parse_registry_url(url: str | URL) -> URL:
    """Parse and normalise a registry URL (psycopg 3 for PostgreSQL).

    Raises:
        RegistryError: not a URL, or neither SQLite nor PostgreSQL.
    """
    try:
        parsed = make_url(url)
    except (sa_exc.ArgumentError, ValueError):
        raise RegistryError(
            "the registry URL is not a valid database URL; expected sqlite:///path/registry.db "
            "or postgresql+psycopg://user:password@host:port/database"
        ) from None
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise RegistryError(
            f"registry URL {mask_url(parsed)}: unsupported database '{parsed.get_backend_name()}'; "
            "use sqlite:///path/registry.db or postgresql+psycopg://..."
        )
    return parsed


def mask_url(url: URL) -> str:
    """Return the URL as text with its password (also a ``?password=`` query) replaced by ``***``."""
    if "password" in url.query:
        url = url.update_query_dict({"password": "***"})
    return url.render_as_string(hide_password=True)


def create_registry_engine(url: URL, *, read_only: bool = False) -> Engine:
    """Create an engine for the registry; for SQLite, create the file (0600) and its folders (0700).

    PostgreSQL connections time out after 10 s unless the URL sets ``connect_timeout``.
    SQLite transactions start with ``BEGIN IMMEDIATE`` (reads included) so that a
    read-then-write transaction such as ``record_scan`` is isolated from other writers;
    the busy timeout is 30 s.

    With ``read_only`` (commands that only read: ``trace``, ``findings``, ``serve``, …) a SQLite
    file is never created and never written: it must exist; it is opened with SQLite's
    ``mode=rw`` (which fails on a missing file instead of creating it) and ``PRAGMA
    query_only`` (any INSERT, UPDATE, DELETE or DDL fails), without changing its journal mode;
    transactions start with a plain ``BEGIN`` (a snapshot: neither waits for nor holds back a
    writer). Not ``mode=ro``: a read-only connection cannot remove the ``-wal`` and ``-shm``
    files it opens beside a WAL database, so every read would leave two files behind. A
    PostgreSQL registry is opened as usual (a read creates no database there).

    Raises:
        RegistryNotFoundError: ``read_only`` and the SQLite file does not exist.
        RegistryError: the SQLite folder cannot be created.
    """
    if url.get_backend_name() != "sqlite":
        # Fail in seconds, not after the TCP timeout, when the server is unreachable.
        connect_args = {} if "connect_timeout" in url.query else {"connect_timeout": _PG_CONNECT_TIMEOUT_S}
        return create_engine(url, pool_pre_ping=True, connect_args=connect_args)
    database = url.database or ""
    plain_file = bool(database) and database != ":memory:" and not database.startswith("file:")
    if plain_file and read_only:
        path = os.path.abspath(database)
        if not os.path.isfile(path):
            raise RegistryNotFoundError(mask_url(url), path)
        # SQLite's own URI: mode=rw never creates the file (a race with its removal fails, not creates)
        url = url.set(database=f"file:{quote(path)}", query={**url.query, "mode": "rw", "uri": "true"})
    elif plain_file:
        try:  # owner-only: folders 0700, a new file 0600 (lineage_engine.private_files)
            prepare_private_file(Path(database), what="registry")
        except OSError as err:
            raise RegistryError(
                f"registry {mask_url(url)}: cannot create the folder for the SQLite file, or the file ({err.strerror}); "
                "check the path and its permissions"
            ) from None
    engine = create_engine(url, connect_args={"timeout": _SQLITE_BUSY_TIMEOUT_S})
    file_database = bool(database) and database != ":memory:" and "mode=memory" not in database

    # SQLAlchemy's documented recipe: let SQLAlchemy, not pysqlite, begin transactions.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        if read_only:  # the journal mode is the file's: a reader leaves it, and writes nothing
            dbapi_connection.execute("PRAGMA query_only = ON")
        elif file_database:
            _write_ahead_log(dbapi_connection)

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine


def _write_ahead_log(dbapi_connection: Any) -> None:
    """Put a SQLite registry file in WAL mode with ``synchronous=NORMAL``.

    Rollback-journal mode with ``synchronous=FULL`` (SQLite's defaults) syncs the file and its
    journal at every commit (24 ms per commit on a loaded machine; a crawl commits once per
    batch and per watermark). In WAL mode with ``synchronous=NORMAL`` a commit appends to
    ``registry.db-wal`` without a sync; the WAL is synced at checkpoints. A commit is still
    atomic and survives a killed process (kill -9); only a power loss or OS crash may undo the
    last commits, which the crawl reads again from its watermark (https://sqlite.org/wal.html,
    https://sqlite.org/pragma.html#pragma_synchronous). Readers (web view, traces) no longer wait
    for a writer. WAL mode is a property of the file and stays once set; the ``-wal`` and
    ``-shm`` files next to it take the database file's permissions and belong to it (copy the
    folder, or use ``sqlite3 registry.db .backup``).
    """
    cursor = dbapi_connection.cursor()
    try:
        mode = cursor.execute("PRAGMA journal_mode").fetchone()
        if not mode or str(mode[0]).lower() != "wal":
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


def _scrub(text: str, url: URL) -> str:
    secrets = [url.password, url.query.get("password")]
    for secret in secrets:
        if isinstance(secret, str) and secret:
            text = text.replace(secret, "***")
    return text


def _driver_message(err: sa_exc.SQLAlchemyError, url: URL) -> str:
    """Return the driver's own message, first line only, without SQL text or parameters."""
    orig = getattr(err, "orig", None)
    text = str(orig) if orig is not None else str(err).split("\n[SQL:", 1)[0]
    first = next((line.strip() for line in text.splitlines() if line.strip()), type(err).__name__)
    return _scrub(first, url)


def _missing_table(message: str) -> bool:
    """True when the driver says a table or column of the registry schema is missing: the
    database is older than this version (SQLite ``no such table`` / ``no such column``,
    ``table t has no column named c``; PostgreSQL ``relation … does not exist``, ``column …
    does not exist``), not a connection problem."""
    lowered = message.lower()
    return ("no such table" in lowered or "no such column" in lowered or "has no column named" in lowered
            or (("relation" in lowered or "column" in lowered) and "does not exist" in lowered))


def _sqlite_permission(message: str) -> bool:
    """True when SQLite says it may not write a file it needs: ``attempt to write a readonly
    database`` (SQLITE_READONLY: the file, or the ``-shm``/``-wal`` files a WAL-mode reader must
    create beside it; https://sqlite.org/wal.html "Read-Only Databases") or ``unable to open
    database file`` (SQLITE_CANTOPEN)."""
    lowered = message.lower()
    return "readonly database" in lowered or "unable to open database file" in lowered


def _sqlite_folder(url: URL) -> str:
    """The folder of a SQLite registry URL's file (plain path or ``file:`` URI), for messages."""
    database = url.database or ""
    if database.startswith("file:"):
        database = unquote(database[len("file:"):].split("?", 1)[0])
    return os.path.dirname(os.path.abspath(database)) if database else "."


def translate_error(err: sa_exc.SQLAlchemyError, url: URL, action: str) -> RegistryError:
    """Turn a SQLAlchemy error into a ``RegistryError`` that says what to do.

    ``action`` names the operation, e.g. ``upsert assets``. The result carries ``url``
    (masked) and ``action`` as attributes; connection and lock errors are transient.
    """
    where = mask_url(url)
    detail = _driver_message(err, url)
    error: RegistryError
    if _missing_table(detail):
        error = RegistryError(f"registry {where}: cannot {action}: {detail}; {MIGRATE_HINT}")
    elif "authentication failed" in detail.lower():
        error = RegistryError(f"registry {where}: cannot {action}: {detail}; check the user and password in the URL")
    elif "database" in detail.lower() and "does not exist" in detail.lower():
        error = RegistryError(
            f"registry {where}: cannot {action}: {detail}; create the database (createdb) or fix the URL"
        )
    elif "locked" in detail.lower() or "busy" in detail.lower():
        error = TransientRegistryError(
            f"registry {where}: cannot {action}: {detail}; another process holds the database, retry later"
        )
    elif url.get_backend_name() == "sqlite" and _sqlite_permission(detail):
        folder = _sqlite_folder(url)
        error = RegistryError(
            f"registry {where}: cannot {action}: {detail}; this user must be able to write the SQLite file "
            f"and its folder {folder} (SQLite keeps registry.db-wal and -shm beside the file, and a reader "
            "of a WAL-mode registry creates them): grant write permission (e.g. a group shared with the "
            "crawl's user), or read through 'lineage-engine serve', or use a PostgreSQL registry"
        )
    elif url.get_backend_name() == "sqlite" and isinstance(err, sa_exc.OperationalError):
        error = TransientRegistryError(
            f"registry {where}: cannot {action}: {detail}; check the SQLite file's path, its permissions and the disk"
        )
    elif isinstance(err, (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.DisconnectionError)):
        error = TransientRegistryError(
            f"registry {where}: cannot {action}: {detail}; check that the database server is running "
            "and reachable, and the registry URL (host, port, user, password, database)"
        )
    elif isinstance(err, sa_exc.IntegrityError):
        error = RegistryError(
            f"registry {where}: cannot {action}: constraint violated ({detail}); "
            f"if the schema is older than this version, {MIGRATE_HINT}"
        )
    elif isinstance(err, sa_exc.ProgrammingError):
        error = RegistryError(f"registry {where}: cannot {action}: {detail}; {MIGRATE_HINT}")
    else:
        error = RegistryError(f"registry {where}: cannot {action}: {detail}")
    error.url = where  # type: ignore[attr-defined]
    error.action = action  # type: ignore[attr-defined]
    return error


@contextlib.contextmanager
def translating(url: URL, action: str) -> Iterator[None]:
    """Raise SQLAlchemy errors inside the block as ``RegistryError`` (see :func:`translate_error`)."""
    try:
        yield
    except sa_exc.SQLAlchemyError as err:
        raise translate_error(err, url, action) from err
