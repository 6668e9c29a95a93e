"""``Neo4jGraphStore``: the GraphStore on Neo4j 5 through the official ``neo4j`` driver.

Only engine specifics live here: connecting, managed transactions, value conversion,
error mapping, and the schema (constraints and indexes). Every Cypher text comes from
``cypher_store``, ``sync`` or ``cypher/*.cypher`` and is sent exactly as written: Neo4j
matches variable-length patterns as trails already, so unlike the embedded backend no
``TRAIL`` keyword is inserted. The driver is imported lazily, when a store is opened.

Connections: ``neo4j://`` routes (clusters, Aura: writes go to the leader, reads to
followers), ``bolt://`` talks to one server; ``+s`` / ``+ssc`` encrypt. Auth is
``graph.credentials`` as ``user/password`` (the ``NEO4J_AUTH`` format; ``none`` for a
server without auth). The password lives only in the driver's auth token: it is never in
``repr``, error messages or our logs (the driver masks it in its own debug log).

Transactions: every GraphStore call is one managed transaction (``execute_write`` /
``execute_read``). The driver retries it on transient failures (leader switch, deadlock,
lost connection) for up to ``max_transaction_retry_time`` by running the whole unit of
work again: reads, the pure timeline fold and the writes, which is safe because the unit
has no other side effects. What still fails is raised as :class:`TransientGraphError`
(the service's retry policy takes over; every write is idempotent) or :class:`GraphError`.
The sessions of one store share a bookmark manager, so a read sees the store's earlier
writes even when a cluster routes it to a follower. The current transaction is kept per
thread, so a call from another thread never joins it (it waits for the store's lock).

One writer at a time: Neo4j runs transactions at read-committed isolation, and
``apply_events`` reads the open intervals, folds, then writes, so two crawls writing at once
could each open the same interval. Every write call therefore first takes the write lock of
the graph (it sets a property on the one ``LineageWriteLock`` node, so Neo4j holds that node's
write lock until commit): a second writer waits for the first to commit, then reads what it
wrote. Readers (traces, scans) never wait.

A transaction that outgrows the server's memory limit (``db.memory.transaction.max``,
``Neo.TransientError.General.MemoryPoolOutOfMemoryError``) would fail the same way on every
retry, so it is not retried: it raises :class:`GraphError` saying to write smaller batches.

Notifications: the server's UNRECOGNIZED (a property or label not stored yet, e.g.
``dropped_at`` before any DROP) and PERFORMANCE (cartesian products) notifications are turned
off, so the driver does not log a warning for each statement of a crawl.
"""

from __future__ import annotations

import contextlib
import functools
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import urlsplit

from lineage_engine import __version__
from lineage_engine.errors import ConfigError, GraphError, TransientGraphError
from lineage_engine.graph.column_rules import upgrade_column_rules
from lineage_engine.graph.cypher_store import CHUNK, CypherGraphStore
from lineage_engine.graph.var_length import bounded_message
from lineage_engine.graph.migrate import (
    COLUMN_PROPERTIES,
    DATASET_PROPERTIES,
    DERIVES_FROM_PROPERTIES,
    NEO4J_SCHEMA,
    neo4j_index_statements,
)
from lineage_engine.model import Asset, EdgeRow, GraphCounts, LineageEvent, MergeReport, SavedTrace

SCHEMES: tuple[str, ...] = ("neo4j", "neo4j+s", "neo4j+ssc", "bolt", "bolt+s", "bolt+ssc")
_OWN_PROPERTIES: dict[str, tuple[str, ...]] = {
    "Dataset": tuple(DATASET_PROPERTIES),
    "Column": tuple(COLUMN_PROPERTIES),
    "DERIVES_FROM": tuple(DERIVES_FROM_PROPERTIES),
    "HAS_COLUMN": (),
}
_PLAIN = (str, int, float, bool, type(None))
_T = TypeVar("_T")
WRITE_LOCK = "MERGE (l:LineageWriteLock {id: 'graph'}) SET l.taken_at = datetime() RETURN l.id AS id"
"""Taken first in every write transaction: serialises writers (see the module doc)."""
WRITE_LOCK_SCHEMA = ("CREATE CONSTRAINT lineage_write_lock IF NOT EXISTS "
                     "FOR (l:LineageWriteLock) REQUIRE l.id IS UNIQUE")
"""Makes the lock node's MERGE atomic, so two first writers cannot create two lock nodes."""
MEMORY_CODES = frozenset({
    "Neo.TransientError.General.MemoryPoolOutOfMemoryError",
    "Neo.TransientError.General.TransactionMemoryLimit",
    "Neo.TransientError.General.OutOfMemoryError",
})
"""Server codes of a transaction that ran out of memory: retrying the same work cannot help."""
DISABLED_NOTIFICATIONS = ("UNRECOGNIZED", "PERFORMANCE")
SCHEMA_ALREADY_THERE = frozenset({
    "Neo.ClientError.Schema.EquivalentSchemaRuleAlreadyExists",
    "Neo.ClientError.Schema.IndexAlreadyExists",
    "Neo.ClientError.Schema.ConstraintAlreadyExists",
})
"""``CREATE ... IF NOT EXISTS`` racing another writer's identical statement: the schema is there."""


@dataclass(frozen=True, repr=False)
class Neo4jCredentials:
    """A Neo4j user and password; ``repr``/``str`` never show the password."""

    user: str
    password: str

    def __repr__(self) -> str:
        return f"Neo4jCredentials(user={self.user!r}, password='***')"

    __str__ = __repr__


def parse_credentials(value: object) -> Neo4jCredentials | None:
    """Parse ``graph.credentials``: ``user/password`` (split at the first ``/``), or ``none``.

    Args:
        value: the text, a pydantic ``SecretStr``, or None (no auth).

    Returns:
        The credentials, or None for no auth (``None`` or the word ``none``).

    Raises:
        ConfigError: not ``user/password``; the message never quotes the value.
    """
    if value is None:
        return None
    text = value.get_secret_value() if hasattr(value, "get_secret_value") else value
    if not isinstance(text, str):
        raise ConfigError("graph.credentials", "expected the text 'user/password'")
    if text.strip().lower() == "none":
        return None
    user, sep, password = text.partition("/")
    if not sep:
        hint = " (it uses ':'; write 'user/password')" if ":" in text else ""
        raise ConfigError("graph.credentials", "expected 'user/password' as in NEO4J_AUTH, e.g. "
                          f"credentials: ${{NEO4J_AUTH}}, but the value has no '/'{hint}")
    if not user.strip() or not password:
        missing = "user" if not user.strip() else "password"
        raise ConfigError("graph.credentials", f"expected 'user/password' but the {missing} is empty")
    return Neo4jCredentials(user.strip(), password)


def redact_uri(uri: str) -> str:
    """Return ``scheme://host:port`` of ``uri``: no user info, path or query (for messages)."""
    try:
        parts = urlsplit(uri)
        host = parts.hostname or "?"
        port = parts.port
    except ValueError:
        return "(unparseable graph.uri)"
    host = f"[{host}]" if ":" in host else host
    return f"{parts.scheme}://{host}" + (f":{port}" if port else "")


def check_uri(uri: str | None) -> str:
    """Return ``uri`` if it is a Neo4j URI the driver can use.

    Raises:
        ConfigError: missing, not a Neo4j scheme, no host, a bad port, or credentials in it.
    """
    if not uri:
        raise ConfigError("graph.uri", "required when graph.type is neo4j, e.g. neo4j://localhost:7687 "
                          "(routing: clusters, Aura) or bolt://localhost:7687 (one server)")
    parts = urlsplit(uri)
    if parts.scheme not in SCHEMES:
        raise ConfigError("graph.uri", f"scheme '{parts.scheme}' is not a Neo4j scheme; use one of {', '.join(SCHEMES)}")
    if "@" in parts.netloc:
        raise ConfigError("graph.uri", "must not hold credentials; set graph.credentials ('user/password') instead")
    try:
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise ConfigError("graph.uri", f"{parts.scheme}://{parts.hostname}: the port is not a number 0-65535") from None
    if not parts.hostname:
        raise ConfigError("graph.uri", f"'{redact_uri(uri)}' names no host")
    return uri


def to_driver(value: object) -> object:
    """Convert a parameter for the driver: aware datetimes to UTC; tuples to lists.

    Neo4j compares and MERGEs on the stored instant and offset, so every time is sent in
    UTC; a naive datetime would be stored as a LocalDateTime that never compares with the
    stored DateTimes, so it is refused.

    Raises:
        GraphError: a naive datetime.
    """
    if type(value) in _PLAIN:
        return value
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise GraphError("neo4j", f"naive datetime {value.isoformat()} passed as a parameter; "
                             "pass a timezone-aware datetime (UTC)")
        return value.astimezone(UTC)
    if isinstance(value, (list, tuple)):
        return [to_driver(v) for v in value]
    if isinstance(value, dict):
        return {k: to_driver(v) for k, v in value.items()}
    return value


@functools.cache
def _driver_types() -> tuple[type, ...]:
    from neo4j.graph import Node, Path, Relationship
    from neo4j.time import Date, DateTime, Time

    return DateTime, Date, Time, Node, Relationship, Path


def from_driver(value: object) -> object:
    """Convert a result value to what the embedded backend returns.

    ``neo4j.time.DateTime`` becomes an aware UTC ``datetime`` (a LocalDateTime is taken as
    UTC, as the embedded engine's timestamps are), ``Date``/``Time`` their native types; a
    ``Node`` or ``Relationship`` the dict of its properties, every property its label
    declares present (null when unset, as Neo4j does not store nulls) and nothing internal
    (no element id, labels, type or endpoints); a ``Path`` ``{"nodes": [...],
    "relationships": [...]}``; lists and maps element-wise. Other values are returned as is.
    """
    if type(value) in _PLAIN:  # the common case, kept cheap
        return value
    if isinstance(value, list):
        return [from_driver(v) for v in value]
    if isinstance(value, dict):
        return {k: from_driver(v) for k, v in value.items()}
    date_time, date, time, node, relationship, path = _driver_types()
    if isinstance(value, (date_time, datetime)):
        native = value.to_native() if isinstance(value, date_time) else value
        return native.replace(tzinfo=UTC) if native.tzinfo is None else native.astimezone(UTC)
    if isinstance(value, (date, time)):
        return value.to_native()
    if isinstance(value, node):
        label = next((name for name in sorted(value.labels) if name in _OWN_PROPERTIES), None)
        return _properties(value, label)
    if isinstance(value, relationship):
        return _properties(value, value.type)
    if isinstance(value, path):
        return {"nodes": [from_driver(n) for n in value.nodes],
                "relationships": [from_driver(r) for r in value.relationships]}
    return value


def _properties(entity: Mapping[str, object], label: str | None) -> dict[str, object]:
    own = _OWN_PROPERTIES.get(label or "", ())
    values = {key: from_driver(entity.get(key)) for key in own}
    values.update({key: from_driver(v) for key, v in entity.items() if key not in values})
    return values


class Neo4jGraphStore(CypherGraphStore):
    """A lineage graph in a Neo4j 5 database (one server, a cluster, or Aura).

    Args:
        uri: ``neo4j://`` / ``bolt://`` (``+s``, ``+ssc``) URI, without credentials.
        database: the database name; None for the server's default database.
        credentials: ``user/password`` text (or a ``SecretStr``); None or ``none`` for no auth.
        read_only: refuse writes; the store then only runs read transactions.
        indexes: ``graph.indexes`` entries, created by :meth:`migrate` (see
            :func:`~lineage_engine.graph.migrate.neo4j_index_statements`).
        batch_size: rows per ``UNWIND`` statement (``graph.batch_size``).
        max_connection_pool_size: connections per server.
        connection_timeout: seconds to open one TCP connection.
        connection_acquisition_timeout: seconds to wait for a pooled connection.
        max_transaction_retry_time: seconds the driver retries a transient failure.
        driver: an already-built ``neo4j.Driver`` to use (and close) instead of building one.

    Raises:
        ConfigError: a bad URI, credentials, index entry or batch size.
        TransientGraphError: the server is unreachable (the message names the host, never the
            password).
        GraphError: the server refused the credentials.
    """

    backend = "neo4j"

    def __init__(
        self,
        uri: str | None,
        *,
        database: str | None = None,
        credentials: object = None,
        read_only: bool = False,
        indexes: Sequence[str] = (),
        batch_size: int = CHUNK,
        max_connection_pool_size: int = 100,
        connection_timeout: float = 30.0,
        connection_acquisition_timeout: float = 60.0,
        max_transaction_retry_time: float = 30.0,
        driver: Any = None,
    ) -> None:
        super().__init__(read_only=read_only)
        self.uri = check_uri(uri)
        self.where = redact_uri(self.uri)
        self.database = database or None
        self.credentials = parse_credentials(credentials)
        if batch_size < 1:
            raise ConfigError("graph.batch_size", f"must be at least 1, got {batch_size}")
        self.chunk_size = batch_size
        self._indexes = neo4j_index_statements(indexes)
        self._local = threading.local()
        self._driver: Any = None

        import neo4j  # lazy: only the Neo4j backend needs the driver

        if driver is None:
            auth = None if self.credentials is None else neo4j.basic_auth(self.credentials.user, self.credentials.password)
            try:
                driver = neo4j.GraphDatabase.driver(
                    self.uri, auth=auth, user_agent=f"lineage-engine/{__version__}",
                    max_connection_pool_size=max_connection_pool_size, connection_timeout=connection_timeout,
                    connection_acquisition_timeout=connection_acquisition_timeout,
                    max_transaction_retry_time=max_transaction_retry_time,
                    notifications_disabled_classifications=list(DISABLED_NOTIFICATIONS),
                )
            except (neo4j.exceptions.ConfigurationError, ValueError) as exc:
                raise ConfigError("graph.uri", f"{self.where}: {self._scrub(_describe(exc))}") from None
            try:
                driver.verify_connectivity()
            except Exception as exc:
                driver.close()
                if _is_driver_error(exc):
                    raise self._map(exc, "could not open the graph") from exc
                raise
        self._driver = driver
        self._bookmarks = neo4j.GraphDatabase.bookmark_manager()

    @property
    def _tx(self) -> Any:
        """The managed or explicit transaction of the calling thread, or None."""
        return getattr(self._local, "tx", None)

    @_tx.setter
    def _tx(self, tx: Any) -> None:
        self._local.tx = tx

    def __repr__(self) -> str:
        user = self.credentials.user if self.credentials else None
        return (f"Neo4jGraphStore(uri={self.where!r}, database={self.database!r}, user={user!r}, "
                f"read_only={self.read_only})")

    # -- GraphStore: each call one managed transaction ----------------------------------------

    def migrate(self) -> None:
        """Create the constraints and indexes (``IF NOT EXISTS``: idempotent), each in its own
        write transaction, as Neo4j requires for schema changes. A read-only store skips it.
        An "equivalent rule already exists" error (another process created the same index at
        the same moment: ``IF NOT EXISTS`` is not atomic across transactions) counts as done."""
        if self.read_only:
            return
        for statement in self._schema_statements():
            try:
                self._managed(functools.partial(self._execute, statement, {}), write=True,
                              action="could not migrate the schema")
            except GraphError as err:
                # Two crawls opening at once: the other one created it between our check and ours.
                if getattr(err.__cause__, "code", None) not in SCHEMA_ALREADY_THERE:
                    raise
        upgrade_column_rules(self)  # a graph crawled before the `cast` transform (graph/column_rules.py)

    def apply_events(self, events: Sequence[LineageEvent]) -> MergeReport:
        """Fold events into temporal edges in one managed write transaction (see GraphStore)."""
        self._require_writable("apply lineage events")
        events = list(events)
        if not events:
            return MergeReport()
        base = super().apply_events
        return self._managed(self._locked(lambda: base(events)), write=True, action="could not apply lineage events")

    def sync_classifications(self, assets: Sequence[Asset]) -> int:
        """Copy registry facts onto nodes in one managed write transaction (see GraphStore)."""
        self._require_writable("sync classifications")
        base = super().sync_classifications
        return self._managed(self._locked(lambda: base(assets)), write=True, action="could not sync classifications")

    def run_trace(self, trace: SavedTrace, params: Mapping[str, object]) -> list[dict[str, object]]:
        """Run a saved trace, as written, in a managed read transaction (see GraphStore)."""
        base = super().run_trace
        return self._managed(lambda: base(trace, params), write=False, action=f"trace '{trace.name}' failed")

    def iter_edges(self, as_of: datetime | None = None) -> Iterator[EdgeRow]:
        """Yield dataset edge intervals by downstream, upstream, valid_from (see GraphStore)."""
        base = super().iter_edges
        return self._managed(lambda: base(as_of), write=False, action="could not read lineage edges")

    def iter_column_edges(self, as_of: datetime | None = None) -> Iterator[EdgeRow]:
        """Yield column edge intervals by downstream, upstream, kind, valid_from (see GraphStore)."""
        base = super().iter_column_edges
        return self._managed(lambda: base(as_of), write=False, action="could not read column lineage edges")

    def counts(self) -> GraphCounts:
        """Return node and relationship totals, read in one transaction."""
        base = super().counts
        return self._managed(base, write=False, action="could not count the graph")

    def close(self) -> None:
        """Close the driver and its connection pool; idempotent."""
        driver, self._driver = self._driver, None
        if driver is not None:
            driver.close()

    # -- CypherGraphStore hooks --------------------------------------------------------------

    def _execute(self, query: str, params: Mapping[str, object]) -> list[dict[str, object]]:
        """Run one statement in the current transaction, or alone in its own managed one.

        Driver errors propagate unchanged inside a transaction, so that the driver can retry
        the unit of work; :meth:`_managed` maps what is left.
        """
        if self._tx is None:
            return self._managed(functools.partial(self._execute, query, params), write=not self.read_only,
                                 action="statement failed")
        sent = {name: to_driver(value) for name, value in params.items()}
        try:
            result = self._tx.run(query, sent)
        except (TypeError, ValueError) as exc:  # a parameter the driver cannot send
            raise GraphError(self.backend, f"cannot send the parameters ({exc})") from exc
        return [{key: from_driver(value) for key, value in record.items()} for record in result]

    @contextmanager
    def _transaction(self, *, read_only: bool) -> Iterator[None]:
        """Join the managed transaction of the current call; outside one (a base-class
        operation this class does not wrap), run the block in one explicit transaction:
        all-or-nothing, but retried only by the caller's retry policy, not by the driver."""
        if self._tx is not None:
            yield
            return
        import neo4j

        session = self._session(neo4j.READ_ACCESS if read_only or self.read_only else neo4j.WRITE_ACCESS)
        try:
            tx = session.begin_transaction()
            self._tx = tx
            try:
                yield
                tx.commit()
            finally:
                self._tx = None
                with contextlib.suppress(Exception):  # the block's own error, if any, matters more
                    tx.close()  # rolls back unless committed
        except Exception as exc:
            if _is_driver_error(exc):
                raise self._map(exc, "transaction failed") from exc
            raise
        finally:
            session.close()

    def _schema_statements(self) -> Sequence[str]:
        return (*NEO4J_SCHEMA, WRITE_LOCK_SCHEMA, *self._indexes)

    def _prepare_trace(self, text: str) -> str:
        """Refuse unbounded variable-length patterns (see ``graph/var_length.py``); else as written."""
        refusal = bounded_message(text)
        if refusal:
            raise GraphError(self.backend, refusal)
        return text

    def _locked(self, work: Callable[[], _T]) -> Callable[[], _T]:
        """``work`` preceded, in its transaction, by taking the graph's write lock."""
        def locked() -> _T:
            self._execute(WRITE_LOCK, {})
            return work()
        return locked

    # -- helpers -------------------------------------------------------------------------------

    def _session(self, access_mode: str | None = None) -> Any:
        if self._driver is None:
            raise GraphError(self.backend, f"the connection to Neo4j at {self.where} is closed")
        options: dict[str, object] = {"database": self.database, "bookmark_manager": self._bookmarks}
        if access_mode is not None:
            options["default_access_mode"] = access_mode
        return self._driver.session(**options)

    def _managed(self, work: Callable[[], _T], *, write: bool, action: str) -> _T:
        """Run ``work`` as one managed transaction (the driver may run it more than once)."""
        if self._tx is not None:  # already inside one
            return work()

        def unit(tx: Any) -> _T:
            self._tx = tx
            try:
                return work()
            except Exception as exc:
                if getattr(exc, "code", None) in MEMORY_CODES:
                    raise _OutOfMemory(exc) from exc  # not a driver error: the driver does not retry it
                raise
            finally:
                self._tx = None

        with self._lock:
            try:
                with self._session() as session:
                    return session.execute_write(unit) if write else session.execute_read(unit)
            except _OutOfMemory as exc:
                raise self._map(exc.error, action) from exc.error
            except Exception as exc:
                if _is_driver_error(exc):
                    raise self._map(exc, action) from exc
                raise

    def _map(self, exc: BaseException, action: str) -> GraphError:
        """Turn a driver error into GraphError / TransientGraphError naming the server."""
        from neo4j import exceptions as nx

        detail = self._scrub(_describe(exc))
        where = self.where + (f" (database '{self.database}')" if self.database else "")
        code = getattr(exc, "code", None) or ""
        if isinstance(exc, nx.AuthError) or code.startswith("Neo.ClientError.Security.Unauthorized"):
            who = f"user '{self.credentials.user}'" if self.credentials else "no credentials"
            return GraphError(self.backend, f"{action}: Neo4j at {where} refused {who} ({detail}); check "
                              "graph.credentials ('user/password', e.g. ${NEO4J_AUTH})")
        if code in MEMORY_CODES:
            return GraphError(self.backend, f"{action}: the transaction ran out of memory on Neo4j at {where} "
                              f"({detail}); write smaller transactions: lower telemetry.batch_size (rows per "
                              "graph commit) and graph.batch_size (rows per UNWIND statement), or raise the "
                              "server's db.memory.transaction.max")
        if code == "Neo.ClientError.Database.DatabaseNotFound":
            return GraphError(self.backend, f"{action}: Neo4j at {self.where} has no database "
                              f"'{self.database}'; check graph.database")
        # ServiceUnavailable includes IncompleteCommit (the commit may have happened): retrying is
        # still right, as every write is idempotent and a replay changes nothing.
        busy = (nx.ServiceUnavailable, nx.SessionExpired, nx.TransientError,
                getattr(nx, "ConnectionAcquisitionTimeoutError", nx.ServiceUnavailable))
        if isinstance(exc, busy) or _retryable(exc):
            return TransientGraphError(self.backend, f"{action}: Neo4j at {where} is unavailable or busy "
                                       f"({detail}); retry, and if it persists check graph.uri and the server")
        return GraphError(self.backend, f"{action}: {detail} ({where})")

    def _scrub(self, text: str) -> str:
        if self.credentials is not None and self.credentials.password:
            text = text.replace(self.credentials.password, "***")
        return text


class _OutOfMemory(Exception):
    """Carries a server out-of-memory error out of a managed transaction without a retry."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(str(error))
        self.error = error


def _is_driver_error(exc: BaseException) -> bool:
    from neo4j.exceptions import DriverError, Neo4jError

    return isinstance(exc, (DriverError, Neo4jError))


def _retryable(exc: BaseException) -> bool:
    check = getattr(exc, "is_retryable", None)
    return bool(check()) if callable(check) else False


def _describe(exc: BaseException) -> str:
    """One line: ``code: message`` for server errors, the text otherwise, plus the first of
    the grouped causes a routing failure carries (at most 400 characters)."""
    code, message = getattr(exc, "code", None), getattr(exc, "message", None)
    from_server = not exc.args and isinstance(code, str) and code and message  # hydrated from a server reply
    text = f"{code}: {message}" if from_server else str(exc)
    cause = exc.__cause__
    if isinstance(cause, BaseExceptionGroup) and cause.exceptions:
        text = f"{text}: {_describe(cause.exceptions[0])}"
    line = " ".join(text.split()) or type(exc).__name__
    return line if len(line) <= 400 else line[:397] + "..."
