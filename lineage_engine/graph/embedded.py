"""``EmbeddedGraphStore``: the GraphStore on LadybugDB (PyPI ``ladybug``), in-process.

Only engine specifics live here: opening the database, transactions, value conversion,
error mapping, and one rewrite of saved traces. All Cypher is in ``cypher_store``.

Concurrency (LadybugDB 0.22, measured; see ``tests/graph/test_embedded_concurrency.py``):

- One read-write process per database file. A second read-write open fails at once with
  "Could not set lock on file ... (Lock is held by PID n)": mapped to
  :class:`TransientGraphError` telling the user to wait for the other process.
- Read-only opens do coexist with a writer process: the reader replays the committed WAL
  into memory and sees a snapshot as of its open (later commits are not visible to it).
  While the writer appends to the WAL or checkpoints, the open can fail ("checkpoint
  recovery is pending", "Checksum verification failed, the WAL file is corrupted",
  "IO exception: Cannot read from file … graph.wal", ...);
  these are retried here with back-off and, if they persist, raised as
  :class:`TransientGraphError`. Upstream reports (LadybugDB issues #615, #666, #766,
  #1007) also describe rare crashes of a reader racing a checkpoint; a reader must be
  short-lived (one ``lineage-engine trace``), and production deployments that need
  readers concurrent with a writer should use Neo4j.

Variable-length patterns: LadybugDB walks ``*1..10`` with WALK semantics (repeated edges
allowed; the ``recursive_pattern_semantic`` setting is accepted but ignored in 0.22),
Neo4j with TRAIL semantics. Saved traces keep the portable text; :meth:`_prepare_trace`
inserts LadybugDB's ``TRAIL`` keyword so both backends return the same paths on cycles.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lineage_engine.errors import ConfigError, GraphError, TransientGraphError
from lineage_engine.graph.column_cypher import READ_COLUMN_INTERVAL_HISTORY, READ_OPEN_COLUMN_INTERVALS
from lineage_engine.graph.cypher_store import COUNTS, CypherGraphStore
from lineage_engine.graph.migrate import PROPERTIES_BY_LABEL, migrate_statements
from lineage_engine.graph.var_length import bounded_message, with_trail
from lineage_engine.graph.walk_read import walk_edges_from_arrow
from lineage_engine.heap import release_free_heap
from lineage_engine.private_files import prepare_private_file
from lineage_engine.walk_arrays import WalkEdges

_TRANSIENT = (
    "could not set lock on file",
    "checkpoint recovery is pending",
    "checkpoint is in progress",
    "checksum verification failed",
    "couldn't replay shadow pages",
    "cannot start a new write transaction",
    "interrupted",
)
# Seen only when a read-only open races a writer's WAL append or checkpoint; in a
# read-write process the same words mean a real fault.
_READ_ONLY_OPEN_TRANSIENT = ("invalid local node offset", "found duplicated primary key value")
_INTERNAL_KEYS = ("_ID", "_LABEL", "_SRC", "_DST")
_ARROW_CHUNK = 100_000
EMBEDDED_CHUNK = 1_000
"""Rows per ``UNWIND`` statement on the embedded engine (:attr:`EmbeddedGraphStore.chunk_size`).

The engine's Python binding keeps every statement it prepared (one per statement text and
parameter types) with the values it last ran with. At 5,000 rows per statement a crawl's
prepared UNWINDs held 111 MiB after 35,000 rows of ``benchmarks/scale_history.py`` (issue
13); at 1,000 about a fifth, for a few milliseconds more per batch (a chunk costs about 1 ms),
where preparing every statement again at each transaction cost about 85 ms per batch."""
DATASET_STATEMENT_EDGES = 4_000
"""Relationships LadybugDB scans in the time of one write statement keyed by one dataset (about 1.3 ms:
:meth:`EmbeddedGraphStore._writes_by_dataset`)."""
READ_STATEMENT_EDGES = 400
"""Dataset edges LadybugDB scans in the time of one read statement keyed by one dataset id (about 150 us)."""
READ_PER_ID_DATASETS = 12_000
"""Datasets from which an ``IN $ids`` read (every Dataset tested against the list) costs more per id
than a read by one id (:meth:`EmbeddedGraphStore._reads_per_id`)."""
SCAN_RELATIONS_LIMIT = 50_000
"""Relationships of a family up to which a statement matching one of them per ``$rows`` row runs as an
Arrow scan (:func:`_rows_scan`): its hash join holds the family's relationships, whichever the form
(7,156 column edges on solana: 30 against 45-75 us per re-observed row, the rows bound column by column
instead of value by value); on a large graph the scan's plan held two (buffer pool full near 110,000 rows
of the 1M-row history), so there the statement runs as written."""
PREPARED_LIMIT = 64
"""Prepared statements the binding may keep past a transaction; beyond, all are dropped
(:meth:`EmbeddedGraphStore._release_prepared`): new parameter types (an integer grown from 8 to
16 bits, a list that was empty) each add one, with its last values."""


class EmbeddedGraphStore(CypherGraphStore):
    """A lineage graph in a LadybugDB database file.

    Args:
        path: the database file (created, mode 0600, with its folders, mode 0700, on a
            read-write open; see :mod:`lineage_engine.private_files`).
        read_only: open without the write lock; writes raise GraphError.
        open_attempts: read-only opens retried this many times on transient errors.
        buffer_pool_mb: MiB of pages the engine may cache (None: its default, 80% of RAM).
        checkpoint_mb: MiB of write-ahead log after which a commit checkpoints it into the
            file (None: the engine's default, 16). A checkpoint rewrites the pages the log
            touched, a cost that grows with the graph: at 16 MiB a crawl of the 1M-row history
            checkpointed every second batch and spent 11 s of 30 s of graph CPU (and most of its
            graph wall time, in fsync) committing by 60,000 rows; at 128 MiB, 2.8 s (issue 13). What
            the log holds stays in the buffer pool until the checkpoint: at 128 MiB against a pool
            of 512 MiB that crawl ran out of pool near 110,000 rows (``graph.checkpoint_mb``: 32).

    Raises:
        GraphError: the file is missing (read-only) or not a LadybugDB database.
        TransientGraphError: another process holds the write lock, or a read-only open
            kept racing the writer's checkpoint.
    """

    backend = "embedded"
    chunk_size = EMBEDDED_CHUNK

    def __init__(self, path: str | Path, *, read_only: bool = False, open_attempts: int = 6,
                 buffer_pool_mb: int | None = None, checkpoint_mb: int | None = None) -> None:
        super().__init__(read_only=read_only)
        self.path = Path(path)
        self.buffer_pool_mb = buffer_pool_mb
        self.checkpoint_mb = checkpoint_mb
        self._db: Any = None
        self._conn: Any = None
        self._edges: dict[str, int] | None = None  # relationships per family (_writes_by_dataset)
        if read_only and not self.path.exists():
            _check_not_under_file(self.path)
            raise GraphError(self.backend, f"no embedded graph at {self.path}: run a crawl first "
                             "('lineage-engine crawl') or check graph.path")
        if not read_only:
            _make_parent(self.path)
        self._open(max(1, open_attempts) if read_only else 1)

    def _open(self, attempts: int) -> None:
        import ladybug  # lazy: only the embedded backend needs the engine

        for attempt in range(attempts):
            try:
                pool = 0 if self.buffer_pool_mb is None else self.buffer_pool_mb * 2**20  # 0: the engine's default
                # checkpoint_threshold -1: the engine's default (16 MiB of log)
                threshold = -1 if self.checkpoint_mb is None else self.checkpoint_mb * 2**20
                self._db = ladybug.Database(str(self.path), read_only=self.read_only, buffer_pool_size=pool,
                                            checkpoint_threshold=threshold)
                self._conn = ladybug.Connection(self._db)
                self._conn.execute("RETURN 1")
                return
            except RuntimeError as exc:
                self.close()
                error = self._map(exc, opening=True)
                if not isinstance(error, TransientGraphError) or attempt == attempts - 1:
                    raise error from exc
                time.sleep(0.1 * 2**attempt)

    def _map(self, exc: BaseException, *, opening: bool = False) -> GraphError:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        lowered = message.lower()
        if "could not set lock on file" in lowered:
            holder = re.search(r"pid (\d+)", lowered)
            who = f" (PID {holder.group(1)})" if holder else ""
            return TransientGraphError(
                self.backend, f"{self.path} is open for writing by another process{who}; wait until "
                "it finishes (a crawl or 'lineage-engine run'), open it read-only for traces, or "
                "use the Neo4j backend for concurrent writers")
        if "buffer pool is full" in lowered:
            pool = f"{self.buffer_pool_mb} MiB" if self.buffer_pool_mb else "the engine's default"
            return GraphError(self.backend, f"the query needs more memory than the graph's buffer pool "
                              f"(graph.buffer_pool_mb: {pool}) ({self.path}): raise graph.buffer_pool_mb, or "
                              "bound the query (a variable-length pattern enumerates every path)")
        transient = _TRANSIENT + (_READ_ONLY_OPEN_TRANSIENT if opening and self.read_only else ())
        # A reader replaying the WAL while the writer commits can find it mid-rewrite
        # ("IO exception: Cannot read from file: …/graph.wal …"): a race, not damage.
        wal_race = self.read_only and "cannot read from file" in lowered and ".wal" in lowered
        if wal_race or any(word in lowered for word in transient):
            advice = ("another process is writing this graph; retry after its crawl finishes, "
                      "or use the Neo4j backend for reads concurrent with writes") if self.read_only \
                else "the engine is busy; retry"
            return TransientGraphError(self.backend, f"{message} ({self.path}): {advice}")
        return GraphError(self.backend, f"{message} ({self.path})")

    # -- CypherGraphStore hooks ------------------------------------------------------------

    def _execute(self, query: str, params: Mapping[str, object]) -> list[dict[str, object]]:
        if self._conn is None:
            raise GraphError(self.backend, f"the graph at {self.path} is closed")
        scan = _rows_scan(query, params, self._few_relations(query))
        if scan is not None:
            query, params = scan
        else:
            params = {k: _to_engine(v) for k, v in params.items()}
        try:
            result = self._conn.execute(query, params)
            names = result.get_column_names()
            rows = []
            while result.has_next():
                rows.append({n: _from_engine(v) for n, v in zip(names, result.get_next(), strict=True)})
            result.close()
            return rows
        except (RuntimeError, TypeError, ValueError) as exc:
            raise self._map(exc) from exc

    @contextmanager
    def _transaction(self, *, read_only: bool) -> Iterator[None]:
        if self.read_only:  # a read-only database admits no write transaction at all
            try:
                yield
            finally:
                self._release_prepared()
            return
        self._execute("BEGIN TRANSACTION READ ONLY" if read_only else "BEGIN TRANSACTION", {})
        committed = False
        try:
            try:
                yield
            except BaseException:
                try:
                    self._execute("ROLLBACK", {})
                except GraphError:
                    pass  # the engine may have rolled back already; the original error matters
                raise
            try:
                with self.profile.timed("graph.commit"):
                    self._execute("COMMIT", {})
            except GraphError:
                try:
                    self._execute("ROLLBACK", {})
                except GraphError:
                    pass
                raise
            committed = not read_only
        finally:
            self._release_prepared()
        if committed:  # what the batch's statements, results and prepared values freed (lineage_engine.heap)
            with self.profile.timed("graph.release_heap"):
                release_free_heap()

    def _writes_by_dataset(self, family: str, datasets: int, rows: int) -> bool:
        """Return True when one statement per dataset costs less than one per chunk of rows.

        LadybugDB 0.22 finds the relationship of each ``UNWIND`` row of a chunk by scanning the
        node table of the family with a mask of the rows' nodes and every relationship of the masked
        nodes: about 0.25 us per relationship of the family, whatever the rows (95 ms per chunk at
        412,000 column edges, the graph of the first 150,000 rows of the 1M-row history), a cost that
        grows with the graph. A statement starting from one dataset by primary key reads only that
        dataset's columns and their intervals: about 1 ms (:data:`DATASET_STATEMENT_EDGES`
        relationships scanned), whatever the graph (issue 13). The totals are counted once per open
        store, then followed by what this store creates (an estimate: a rolled-back batch is counted
        too; it only chooses between two writes of the same rows).
        """
        chunks = -(-rows // self.chunk_size)
        return datasets * DATASET_STATEMENT_EDGES < chunks * self._totals()[family]

    def _reads_per_id(self, query: str, ids: int) -> bool:
        """Return True when one read statement per dataset id costs less than one per chunk.

        The column reads (``WHERE t.id IN $ids``) test every Dataset against the list (about
        12 ns per dataset and id), the dataset reads scan every dataset edge (about 0.4 us each);
        a statement from one id by primary key costs about 150 us (:data:`READ_STATEMENT_EDGES`
        edges, :data:`READ_PER_ID_DATASETS` datasets).
        """
        totals = self._totals()
        if query in (READ_OPEN_COLUMN_INTERVALS, READ_COLUMN_INTERVAL_HISTORY):
            return totals["datasets"] >= READ_PER_ID_DATASETS
        return ids * READ_STATEMENT_EDGES < totals["dataset"]

    def _totals(self) -> dict[str, int]:
        """Datasets, dataset edges and column edges: counted once per open store, then followed."""
        if self._edges is None:
            with self.profile.timed("graph.count_edges"):
                self._edges = {"datasets": int(self._execute(COUNTS[0], {})[0]["n"]),  # type: ignore[call-overload]
                               "dataset": int(self._execute(COUNTS[2], {})[0]["n"]),  # type: ignore[call-overload]
                               "column": int(self._execute(COUNTS[3], {})[0]["n"])}  # type: ignore[call-overload]
        return self._edges

    def _few_relations(self, query: str) -> bool:
        """True when the relationships ``query`` may match per row are few enough for an Arrow scan of
        its rows (:data:`SCAN_RELATIONS_LIMIT`); False before they were counted."""
        if self._edges is None:
            return False
        return self._edges["column" if "`Column`" in query else "dataset"] <= SCAN_RELATIONS_LIMIT

    def _count_created(self, family: str, rows: int) -> None:
        if self._edges is not None:
            self._edges[family] += rows

    def _release_prepared(self) -> None:
        """Drop the binding's prepared statements when it keeps more than :data:`PREPARED_LIMIT`.

        Each keeps the values it last ran with (up to :data:`EMBEDDED_CHUNK` rows), so their
        number bounds that memory; the next statements are prepared again (a few ms each).
        """
        cache = getattr(self._conn, "_pybind_implicit_prepared_cache", None)
        lock = getattr(self._conn, "_prepared_cache_lock", None)
        if isinstance(cache, dict) and lock is not None and len(cache) > PREPARED_LIMIT:
            with lock:
                cache.clear()

    def walk_edges(self) -> WalkEdges:
        """Return every dataset interval for the exposure walk, read as Arrow columns.

        One read transaction: the Dataset ids by internal offset, then the intervals by
        offsets (no string per row, timestamps as ``int64`` microseconds); about 40 bytes per
        interval, plus the statements (query id and type) as Arrow strings for the paths'
        explanations. See :meth:`CypherGraphStore.walk_edges`.

        Raises:
            GraphError: the graph could not be read.
        """
        with self._lock, self._transaction(read_only=True):
            nodes = self._arrow("MATCH (d:Dataset) RETURN offset(id(d)) AS o, d.id AS id")
            edges = self._arrow(
                "MATCH (d:Dataset)-[e:DERIVES_FROM]->(u:Dataset) RETURN offset(id(d)) AS d, offset(id(u)) AS u, "
                "e.valid_from AS valid_from, e.valid_to AS valid_to, e.last_seen AS last_seen, "
                "e.query_type AS query_type, e.last_query_id AS last_query_id, e.first_seen AS first_seen, "
                "e.observations AS observations, e.via AS via")
        return walk_edges_from_arrow(nodes, edges)

    def _arrow(self, query: str) -> Any:
        if self._conn is None:
            raise GraphError(self.backend, f"the graph at {self.path} is closed")
        try:
            result = self._conn.execute(query)
            try:
                return result.get_as_arrow(_ARROW_CHUNK)
            finally:
                result.close()
        except (RuntimeError, TypeError, ValueError) as exc:
            raise self._map(exc) from exc

    def _schema_statements(self) -> Sequence[str]:
        return migrate_statements("embedded")

    def _prepare_trace(self, text: str) -> str:
        """Refuse unbounded variable-length patterns, mark bounded ones ``TRAIL`` (``graph/var_length.py``)."""
        refusal = bounded_message(text)
        if refusal:
            raise GraphError(self.backend, refusal)
        return with_trail(text)

    def migrate(self) -> None:
        """Create the typed tables; on a read-only store only check that they exist."""
        if not self.read_only:
            super().migrate()
            return
        with self._lock:
            tables = {row["name"] for row in self._execute("CALL show_tables() RETURN name", {})}
        if not {"Dataset", "Column", "DERIVES_FROM"} <= tables:
            raise GraphError(self.backend, f"{self.path} holds no lineage graph yet; run a crawl first")

    def close(self) -> None:
        """Close the connection and the database; idempotent."""
        for handle in (self._conn, self._db):
            if handle is not None:
                try:
                    handle.close()
                except RuntimeError:
                    pass
        self._conn = self._db = None


_ROWS_UNWIND = "UNWIND $rows AS r "
_ROW_FIELD = re.compile(r"\br\.([A-Za-z_][A-Za-z0-9_]*)\b")
_BARE_ROW = re.compile(r"\br\b")
_SCAN_TEXTS: dict[str, str] = {}


def _rows_scan(query: str, params: Mapping[str, object],
               relations: bool = False) -> tuple[str, dict[str, object]] | None:
    """Return ``query`` over ``$rows`` as a scan of an Arrow table (``LOAD FROM``), or None.

    ``UNWIND $rows AS r ... r.field ...`` (the batch statements of :mod:`.cypher_store` and
    :mod:`.column_cypher`) becomes ``LOAD FROM $rows ... r_field ...`` with ``$rows`` an Arrow
    table of one column per field. Same rows, same values, same writes: LadybugDB 0.22 converts
    a list of maps row by row, value by value (about 5 us per field per row, 60-120 us for an
    interval row of 13 fields, the most expensive part of the crawl's graph writes), and an
    Arrow table column by column (about 10 us per interval row; issue 13,
    ``benchmarks/cypher_forms.py``). Fields are typed from their first non-null value (an
    all-null field as STRING, as the engine types it in a list of maps).

    None: not such a statement (other parameters, no rows) or a value the table cannot hold
    as the engine would (the statement then runs as written), or a statement that matches a
    relationship per row unless ``relations`` (its table is small: see
    :data:`SCAN_RELATIONS_LIMIT`).

    Raises:
        GraphError: a naive datetime among the values (as :func:`_to_engine`).
    """
    if not query.startswith(_ROWS_UNWIND) or len(params) != 1:
        return None
    if not relations and ("MATCH (d)-[e:" in query or "MERGE (d)-[e:" in query):
        return None  # a relationship matched per row: the scan's plan held two hash joins (pool full near 110,000 rows)
    rows = params.get("rows")
    if not isinstance(rows, list) or not rows or not all(type(r) is dict for r in rows):
        return None
    if _SCAN_TEXTS.get(query) == "":
        return None
    table = _arrow_rows(rows)
    if table is None:
        return None
    text = _SCAN_TEXTS.get(query)
    if text is None:
        body = _ROW_FIELD.sub(r"r_\1", query[len(_ROWS_UNWIND):])
        # ``r`` itself (``WITH d, r``) has no column to stand for: such a statement runs as written
        text = _SCAN_TEXTS[query] = "" if _BARE_ROW.search(body) else "LOAD FROM $rows " + body
    if not text:
        return None
    return text, {"rows": table}


def _arrow_rows(rows: list[dict[str, object]]) -> Any:
    """Return ``rows`` (dicts) as an Arrow table with columns ``r_<field>``, or None (see :func:`_rows_scan`)."""
    import pyarrow as pa

    names = list(dict.fromkeys(k for r in rows for k in r)) if any(r.keys() != rows[0].keys() for r in rows) \
        else list(rows[0])
    arrays = []
    for name in names:
        values = [r.get(name) for r in rows]
        sample = next((v for v in values if v is not None), None)
        kind = type(sample)
        if sample is None or kind is str:
            arrow_type = pa.string()
        elif kind is bool:
            arrow_type = pa.bool_()
        elif kind is int:
            arrow_type = pa.int64()
        elif kind is float:
            arrow_type = pa.float64()
        elif kind is datetime:
            if any(v is not None and (v.tzinfo is None or v.utcoffset() is None) for v in values):  # type: ignore[union-attr]
                raise GraphError("embedded", "naive datetime passed as a parameter; pass a timezone-aware datetime (UTC)")
            arrow_type = pa.timestamp("us", tz="UTC")
        elif kind is list and all(type(x) is str for v in values if v is not None for x in v):  # type: ignore[union-attr]
            arrow_type = pa.list_(pa.string())
        else:
            return None
        try:
            arrays.append(pa.array(values, type=arrow_type))
        except (pa.ArrowException, TypeError, ValueError, OverflowError):
            return None  # mixed types in one field: the engine's own conversion decides
    return pa.table(arrays, names=[f"r_{n}" for n in names])


def _to_engine(value: object) -> object:
    """Parameters: aware datetimes to UTC (the engine drops offsets without converting)."""
    if type(value) in _PLAIN:  # the common case, kept cheap: a batch sends hundreds of thousands
        return value
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise GraphError("embedded", f"naive datetime {value.isoformat()} passed as a parameter; "
                             "pass a timezone-aware datetime (UTC)")
        return value.astimezone(UTC)
    if isinstance(value, (list, tuple)):
        return [_to_engine(v) for v in value]
    if isinstance(value, dict):
        return {k: _to_engine(v) for k, v in value.items()}
    return value


_PLAIN = (str, int, float, bool, type(None))


def _from_engine(value: object) -> object:
    """Results: naive engine timestamps are UTC; nodes/rels become their own properties."""
    if type(value) in _PLAIN:  # the common case, kept cheap: results can hold millions of values
        return value
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, list):
        return [_from_engine(v) for v in value]
    if isinstance(value, dict):
        if "_nodes" in value and "_rels" in value:  # a path returned whole
            return {"nodes": _from_engine(value["_nodes"]), "relationships": _from_engine(value["_rels"])}
        label = value.get("_LABEL")
        own = PROPERTIES_BY_LABEL.get(label) if isinstance(label, str) and "_ID" in value else None
        return {
            k: _from_engine(v) for k, v in value.items()
            if k not in _INTERNAL_KEYS and (own is None or k in own)
        }
    return value


def _check_not_under_file(path: Path) -> None:
    """Raise ConfigError when an existing ancestor of ``path`` is a regular file."""
    for ancestor in path.parents:
        if ancestor.exists():
            if not ancestor.is_dir():
                raise ConfigError("graph.path", f"'{path}' is under '{ancestor}', which is a file, not a folder; "
                                  "set graph.path to a location inside a folder")
            return


def _make_parent(path: Path) -> None:
    """Create the graph's folder (0700) and file (0600), or say in one line why ``graph.path`` cannot be used.

    Raises:
        ConfigError: ``graph.path`` is under a regular file, or it or its folder cannot be
            created or written (permissions, a read-only file system).
    """
    _check_not_under_file(path)
    try:  # owner-only: folders 0700, a new file 0600 (lineage_engine.private_files)
        prepare_private_file(path, what="embedded graph", folder_too=True)
    except OSError as exc:
        raise ConfigError("graph.path", f"cannot create '{path}' or its folder ({exc.strerror or exc}); "
                          "set graph.path to a location you can write") from None
    if not os.access(path.parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise ConfigError("graph.path", f"'{path}' is not writable by this user; set graph.path to a location "
                          "you can write, or fix its permissions")
