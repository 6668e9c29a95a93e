"""The ``GraphStore`` protocol: datasets, columns and temporal ``DERIVES_FROM`` edges.

Written for implementers. Both backends (embedded LadybugDB, Neo4j 5) hold the same model
(design §4) and run the same portable Cypher for traces; only DDL, transactions and value
conversion differ.

Temporal contract (design §6), applied by :meth:`GraphStore.apply_events` in event order:

- An edge interval is keyed by ``(downstream, upstream, valid_from)``; ``valid_to`` is null
  while current. One relationship per interval.
- ``INSERT``/``MERGE``/``UPDATE``/``COPY``/``UNLOAD``/``VIEW``-without-replace add: an open
  interval is re-observed (``last_seen``, ``observations``, ``last_query_id``), else one opens
  at the event's ``at``.
- ``replaces=True`` (CREATE OR REPLACE, CTAS, INSERT OVERWRITE): the target's open incoming
  intervals whose upstream is not among the event's sources close at ``at``; those that are
  re-derived stay open (contiguous intervals are coalesced, which is exact for as-of reads).
  A replace whose sources include its own target (``INSERT OVERWRITE t SELECT ... FROM t``)
  closes nothing: the new content derives from the old, so it is applied as an add.
  TRUNCATE (and DELETE without WHERE) is a replace with no sources: it closes them all.
- ``DROP`` closes the target's open incoming intervals and sets ``dropped_at``.
- ``RENAME a -> b`` closes a's open incoming intervals and opens the same upstreams on b;
  ``SWAP a, b`` exchanges the two open sets (an upstream equal to the other side is replaced
  by that side's own upstreams, so a clone-and-swap never creates a self-loop).
- Self-loops are never stored (column edges between two columns of one dataset are, see below). Replaying a batch already applied changes nothing: counts,
  intervals and ``observations`` stay the same (observations only count events newer than
  the interval's ``last_seen``).
- An event at or before the last one applied to its dataset (query-history lane) is *late*:
  it is folded into the past against the dataset's stored intervals and ``resets``
  (``graph/timeline.py``, README "Late rows"), so the result does not depend on where batches
  cut; what cannot be applied exactly is kept open and counted (``events_inexact``).

Column edges (issue 5) follow the same contract, event by event (``LineageEvent.columns``):
``(:Column {id, dataset_id, name})`` nodes (id ``db.schema.table.column``) linked from their
dataset by ``HAS_COLUMN``, and ``(:Column)-[:DERIVES_FROM {transform, kind, ...}]->(:Column)``
intervals keyed by ``(downstream, upstream, kind, valid_from)``. A column edge is stored only
along a dataset edge of the same event (its source column in one of the event's sources,
its target column in the target). ``replaces=True`` closes the open edges into *any* column
of the target that the event does not re-derive; DROP closes every edge into the target's
columns; RENAME moves them to the same column names of the new name; SWAP exchanges them.
A column edge inside one dataset (``t.notes <- t.email``) is stored too and moves with
RENAME and SWAP (both ends). An add-only event widens an open interval's ``transform`` to the more revealing one
(``identity`` over ``masked``); a change of transform closes the interval and opens a new
one at the event's instant, so an as-of read sees the transform of that instant.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Protocol, runtime_checkable

from lineage_engine.errors import ConfigError
from lineage_engine.model import Asset, EdgeRow, GraphCounts, LineageEvent, MergeReport, SavedTrace


@runtime_checkable
class GraphStore(Protocol):
    """Datasets, columns and DERIVES_FROM edges. Every write is idempotent and safe to retry."""

    backend: str
    """``embedded`` or ``neo4j``."""

    def migrate(self) -> None:
        """Create node/relationship tables (embedded) or constraints and indexes (Neo4j).

        Idempotent: safe on an already-migrated graph.

        Raises:
            GraphError: the schema could not be created.
        """

    def apply_events(self, events: Sequence[LineageEvent]) -> MergeReport:
        """Fold lineage events, in the given order, into temporal edges in one transaction.

        Creates missing ``Dataset`` nodes (``first_seen``/``last_seen`` = event time, ``kind``
        from the ref), and ``Column`` nodes with their ``HAS_COLUMN`` at the ends of new
        column edges. All-or-nothing: on error nothing from the batch is stored.

        Raises:
            GraphError: the write failed (TransientGraphError when a retry may pass).
        """

    def sync_classifications(self, assets: Sequence[Asset]) -> int:
        """Copy registry facts onto Dataset/Column nodes; clear them where no asset remains.

        Sets ``classification``, ``tags`` (list of regulatory tags), ``steward``,
        ``masking_policy`` on nodes whose id equals an asset's ``catalog_path``; nodes that
        carry such properties but have no asset any more get them reset to null. Assets
        with no node yet are skipped (they sync on a later crawl). Idempotent.

        Returns:
            The number of nodes whose properties changed.
        """

    def run_trace(self, trace: SavedTrace, params: Mapping[str, object]) -> list[dict[str, object]]:
        """Run a saved Cypher trace read-only; rows as plain Python values, in the trace's order.

        Nodes come back as dicts of their properties (no engine-internal keys), paths'
        ``nodes(p)`` / ``relationships(p)`` as lists of such dicts, datetimes as aware UTC.

        Raises:
            GraphError: the trace failed (the message names the trace).
        """

    def iter_edges(self, as_of: datetime | None = None) -> Iterator[EdgeRow]:
        """Yield dataset-level edge intervals, ordered by downstream, upstream, valid_from.

        With ``as_of`` only intervals valid at that instant
        (``valid_from <= as_of < coalesce(valid_to, +inf)``).
        """

    def iter_column_edges(self, as_of: datetime | None = None) -> Iterator[EdgeRow]:
        """Yield column-level edge intervals, ordered by downstream, upstream, kind, valid_from.

        Rows carry ``transform`` and ``kind``; with ``as_of`` only intervals valid at that
        instant (``valid_from <= as_of < coalesce(valid_to, +inf)``).
        """

    def counts(self) -> GraphCounts:
        """Return node and relationship totals (datasets, columns, dataset and column edges)."""

    def close(self) -> None:
        """Release the database; idempotent."""


BACKENDS: tuple[str, ...] = ("embedded", "neo4j")
_NEO4J_OPTIONS = frozenset({
    "uri", "database", "credentials", "indexes", "batch_size", "max_connection_pool_size",
    "connection_timeout", "connection_acquisition_timeout", "max_transaction_retry_time",
})


def open_graph_store(
    kind: str,
    *,
    path: Path | None = None,
    read_only: bool = False,
    migrate: bool = True,
    buffer_pool_mb: int | None = None,
    checkpoint_mb: int | None = None,
    **neo4j_options: object,
) -> GraphStore:
    """Open the graph backend named by ``graph.type``; read-write opens are migrated.

    Args:
        kind: ``embedded`` (LadybugDB file at ``path``) or ``neo4j``.
        path: the embedded database file; required for ``embedded``.
        read_only: open for traces only. The embedded engine lets a read-only process
            open while one read-write process (a crawl) holds the file; see
            ``graph/embedded.py`` for the exact semantics and limits.
        migrate: Neo4j only (``graph.migrate_on_open``): create the constraints and indexes
            on a read-write open. False leaves that to ``lineage-engine migrate`` run once by
            a user with schema privileges (a production service user may lack them). The
            embedded graph is always migrated: its node and relationship tables must exist.
        buffer_pool_mb: embedded only (``graph.buffer_pool_mb``): MiB of pages LadybugDB may
            cache; None: the engine's default (about 80% of the machine's memory).
        checkpoint_mb: embedded only (``graph.checkpoint_mb``): MiB of write-ahead log after which
            a commit checkpoints; None: the engine's default (16 MiB).
        neo4j_options: for ``neo4j``: ``uri``, ``database``, ``credentials`` (``user/password``),
            ``indexes``, ``batch_size``, ``max_connection_pool_size``, ``connection_timeout``,
            ``connection_acquisition_timeout``, ``max_transaction_retry_time`` (seconds); see
            :class:`~lineage_engine.graph.neo4j.Neo4jGraphStore`. The embedded backend ignores them.

    Raises:
        ConfigError: unknown ``kind``, no ``path`` for the embedded backend, or a bad Neo4j
            ``uri``/``credentials``/``indexes``.
        GraphError: the backend could not be opened (TransientGraphError: busy or unreachable; retry).
    """
    if kind == "embedded":
        if path is None:
            raise ConfigError("graph.path", "required for the embedded backend (a LadybugDB file path)")
        from lineage_engine.graph.embedded import EmbeddedGraphStore

        store = EmbeddedGraphStore(path, read_only=read_only, buffer_pool_mb=buffer_pool_mb,
                                   checkpoint_mb=checkpoint_mb)
        try:
            store.migrate()
        except BaseException:
            store.close()
            raise
        return store
    if kind == "neo4j":
        from lineage_engine.graph.neo4j import Neo4jGraphStore

        unknown = sorted(set(neo4j_options) - _NEO4J_OPTIONS)
        if unknown:
            raise ConfigError("graph", f"unknown Neo4j option(s) {', '.join(unknown)}")
        options = dict(neo4j_options)
        neo4j_store = Neo4jGraphStore(options.pop("uri", None), read_only=read_only, **options)  # type: ignore[arg-type]
        try:
            if migrate:
                neo4j_store.migrate()  # a read-only store skips it
        except BaseException:
            neo4j_store.close()
            raise
        return neo4j_store
    close = difflib.get_close_matches(kind, BACKENDS, n=1)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    raise ConfigError("graph.type", f"unknown graph backend '{kind}', expected one of {', '.join(BACKENDS)}{hint}")
