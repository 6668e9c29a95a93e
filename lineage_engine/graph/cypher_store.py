"""Backend-neutral :class:`~lineage_engine.graph.store.GraphStore` on portable Cypher.

Every Cypher text the service runs lives here (column lineage: :mod:`.column_cypher`; saved
traces: ``cypher/*.cypher``) and runs as-is on LadybugDB and Neo4j 5 (design §4). A backend supplies only: executing one statement
with parameters (:meth:`CypherGraphStore._execute`, which also converts values), a
transaction scope, its schema statements, and, if it must, a rewrite of saved traces.

Rules kept here (measured on LadybugDB 0.22, see design §4):

- Batch merges are two statements: ``UNWIND $ids AS i MERGE (:Dataset {id: i})``, then
  ``UNWIND $rows ... MATCH (d ...) MATCH (u ...) MERGE (d)-[...]->(u)`` with separate
  ``MATCH`` clauses. The one-statement form drops edges when a node repeats in a batch.
- Reading or updating one edge per row binds both endpoints in separate ``MATCH`` clauses
  first, then ``MATCH (d)-[e]->(u)``: the single pattern
  ``MATCH (d {id: r.d})-[e]->(u {id: r.u})`` measured 3x (alone) to 30x (inside a write
  transaction) slower on LadybugDB 0.22.
- An interval known not to be stored is written with ``CREATE`` (``CREATE_INTERVALS``,
  ``CREATE_COLUMN_INTERVALS``; see :func:`_known_new`), the others with ``MERGE``: on
  LadybugDB 0.22 a ``MERGE`` of a relationship, like any ``MATCH (d)-[e]->(u)`` whose ends come
  from an ``UNWIND`` list, joins by scanning every relationship of the table (issue 13).
- Reads keyed by dataset id run one statement per id on a large LadybugDB graph
  (:meth:`CypherGraphStore._reads_per_id`); writes to stored intervals (re-observed, closed,
  moved back) one statement per dataset, at most :data:`DATASET_STATEMENT_ROWS` rows each
  (:meth:`CypherGraphStore._writes_by_dataset`).
- In ``UNWIND $rows`` a field that is null in *every* row is typed STRING by the embedded
  engine, so a TIMESTAMP or STRING[] property is never set from a possibly-all-null field:
  clearing uses a separate statement with a literal ``NULL``.
- Labels and relationship types are fixed words in this module; user values are only ever
  parameters.
"""

from __future__ import annotations

import re
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import replace
from datetime import datetime

from lineage_engine.errors import GraphError
from lineage_engine.graph import containers, lanes, sync
from lineage_engine.graph.column_rules import upgrade_column_rules
from lineage_engine.graph.column_cypher import (
    ALL_COLUMN_EDGES,
    CLOSE_COLUMN_INTERVALS,
    COLUMN_EDGES_AS_OF,
    CLOSE_COLUMN_INTERVALS_OF,
    CREATE_COLUMN_INTERVALS,
    CREATE_COLUMNS,
    LINK_NEW_COLUMNS,
    MOVE_COLUMN_INTERVALS_BACK,
    MOVE_COLUMN_INTERVALS_BACK_OF,
    NAME_COLUMNS,
    OBSERVE_COLUMN_INTERVALS,
    OBSERVE_COLUMN_INTERVALS_OF,
    OBSERVE_COLUMN_INTERVALS_VIA,
    OBSERVE_COLUMN_INTERVALS_VIA_OF,
    READ_COLUMN_IDS,
    READ_COLUMN_INTERVAL_HISTORY,
    READ_COLUMN_INTERVAL_HISTORY_OF,
    READ_OPEN_COLUMN_INTERVALS,
    READ_OPEN_COLUMN_INTERVALS_OF,
    SET_COLUMN_TRANSFORM,
    SET_COLUMN_TRANSFORM_OF,
    UPDATE_COLUMN_INTERVALS,
    UPDATE_COLUMN_INTERVALS_OF,
    UPDATE_COLUMN_INTERVALS_VIA,
    UPDATE_COLUMN_INTERVALS_VIA_OF,
    UPSERT_COLUMN_INTERVALS,
)
from lineage_engine.graph.read_only_cypher import find_write_clause
from lineage_engine.graph.intervals import column_group, dataset_group, row_key
from lineage_engine.graph.timeline import NodeState, TimelinePlan, fold_events, late_reads, reads_for
from lineage_engine.model import (
    CONTAINER_KINDS,
    Asset,
    ColumnLineage,
    EdgeRow,
    GraphCounts,
    LineageEvent,
    MergeReport,
    Operation,
    SavedTrace,
    dataset_of,
)
from lineage_engine.profiling import NO_PROFILE, Profile
from lineage_engine.walk_arrays import WalkEdges, micros

_EDGE_FIELDS = (
    "d.id AS downstream, u.id AS upstream, e.valid_from AS valid_from, e.valid_to AS valid_to, "
    "e.first_seen AS first_seen, e.last_seen AS last_seen, e.observations AS observations, "
    "e.last_query_id AS last_query_id, e.query_type AS query_type, e.via AS via, e.provenance AS provenance"
)

READ_NODES = (
    "UNWIND $ids AS i MATCH (d:Dataset {id: i}) "
    "RETURN d.id AS id, d.name AS name, d.kind AS kind, d.first_seen AS first_seen, d.last_seen AS last_seen, "
    "d.dropped_at AS dropped_at, d.last_event_at AS last_event_at, "
    "d.last_event_query_id AS last_event_query_id"
)
READ_OPEN_INTERVALS = (
    "UNWIND $ids AS i MATCH (d:Dataset {id: i})-[e:DERIVES_FROM]->(u:Dataset) "
    f"WHERE e.valid_to IS NULL RETURN {_EDGE_FIELDS}"
)
READ_INTERVAL_HISTORY = (  # every interval, open or closed, into datasets with late events (rare)
    "UNWIND $ids AS i MATCH (d:Dataset {id: i})-[e:DERIVES_FROM]->(u:Dataset) "
    f"RETURN {_EDGE_FIELDS}"
)
# The same reads for one dataset id (``$id``), for engines that join an ``UNWIND`` list to the
# relationships by scanning all of them (CypherGraphStore._reads_per_id).
READ_OPEN_INTERVALS_OF = (
    "MATCH (d:Dataset {id: $id})-[e:DERIVES_FROM]->(u:Dataset) "
    f"WHERE e.valid_to IS NULL RETURN {_EDGE_FIELDS}"
)
READ_INTERVAL_HISTORY_OF = f"MATCH (d:Dataset {{id: $id}})-[e:DERIVES_FROM]->(u:Dataset) RETURN {_EDGE_FIELDS}"
READ_RESETS = "UNWIND $ids AS i MATCH (d:Dataset {id: i}) WHERE d.resets IS NOT NULL RETURN d.id AS id, d.resets AS resets"
SET_RESETS = "UNWIND $rows AS r MATCH (d:Dataset {id: r.id}) SET d.resets = r.resets"
READ_OPEN_PAIRS = (
    "UNWIND $rows AS r MATCH (d:Dataset {id: r.downstream}) MATCH (u:Dataset {id: r.upstream}) "
    f"MATCH (d)-[e:DERIVES_FROM]->(u) WHERE e.valid_to IS NULL RETURN {_EDGE_FIELDS}"
)
MERGE_DATASETS = "UNWIND $ids AS i MERGE (:Dataset {id: i})"
SET_DATASETS = (
    "UNWIND $rows AS r MATCH (d:Dataset {id: r.id}) "
    "SET d.name = coalesce(r.name, d.name), d.kind = coalesce(r.kind, d.kind), "
    "d.namespace = r.namespace, d.first_seen = r.first_seen, d.last_seen = r.last_seen"
)
SET_MARKS = (
    "UNWIND $rows AS r MATCH (d:Dataset {id: r.id}) "
    "SET d.last_event_at = r.at, d.last_event_query_id = r.query_id"
)
READ_CONTAINED = (  # what a schema or database holds (issue 10): datasets and stages by id prefix
    "MATCH (d:Dataset) WHERE d.id STARTS WITH $prefix OR d.id STARTS WITH $stage "
    "RETURN d.id AS id, d.name AS name, d.kind AS kind, d.dropped_at AS dropped_at ORDER BY id"
)
READ_CLOSED_AT = (  # the upstreams whose intervals a drop at $at closed (UNDROP reopens them)
    "MATCH (d:Dataset {id: $id})-[e:DERIVES_FROM]->(u:Dataset) WHERE e.valid_to = $at "
    "RETURN DISTINCT u.id AS id, u.name AS name, u.kind AS kind ORDER BY id"
)
READ_CLOSED_COLUMNS_AT = (
    "MATCH (t:Dataset {id: $id})-[:HAS_COLUMN]->(d:`Column`) MATCH (d)-[e:DERIVES_FROM]->(u:`Column`) "
    "WHERE e.valid_to = $at RETURN DISTINCT d.id AS downstream, u.id AS upstream, e.transform AS transform, "
    "e.kind AS kind ORDER BY downstream, upstream, kind"
)
SET_DROPPED = "UNWIND $rows AS r MATCH (d:Dataset {id: r.id}) SET d.dropped_at = r.at"
CLEAR_DROPPED = "UNWIND $ids AS i MATCH (d:Dataset {id: i}) SET d.dropped_at = NULL"
UPSERT_INTERVALS = (
    "UNWIND $rows AS r MATCH (d:Dataset {id: r.downstream}) MATCH (u:Dataset {id: r.upstream}) "
    "MERGE (d)-[e:DERIVES_FROM {valid_from: r.valid_from}]->(u) "
    "SET e.valid_to = NULL, e.first_seen = r.first_seen, e.last_seen = r.last_seen, "
    "e.observations = r.observations, e.last_query_id = r.last_query_id, "
    "e.query_type = r.query_type, e.via = r.via, e.provenance = r.provenance"
)
CREATE_INTERVALS = (  # intervals known not to be stored (CypherGraphStore._known_new): no MERGE, which scans
    "UNWIND $rows AS r MATCH (d:Dataset {id: r.downstream}) MATCH (u:Dataset {id: r.upstream}) "
    "CREATE (d)-[e:DERIVES_FROM {valid_from: r.valid_from, first_seen: r.first_seen, last_seen: r.last_seen, "
    "observations: r.observations, last_query_id: r.last_query_id, query_type: r.query_type, via: r.via, "
    "provenance: r.provenance}]->(u)"
)
MOVE_INTERVALS_BACK = (  # a late event derived the edge earlier: its interval starts earlier (graph/intervals.py)
    "UNWIND $rows AS r MATCH (d:Dataset {id: r.downstream}) MATCH (u:Dataset {id: r.upstream}) "
    "MATCH (d)-[e:DERIVES_FROM]->(u) WHERE e.valid_from = r.stored_from SET e.valid_from = r.valid_from"
)
CLOSE_INTERVALS = (
    "UNWIND $rows AS r MATCH (d:Dataset {id: r.downstream}) MATCH (u:Dataset {id: r.upstream}) "
    "MATCH (d)-[e:DERIVES_FROM]->(u) WHERE e.valid_from = r.valid_from SET e.valid_to = r.valid_to"
)
# Writes to stored intervals into one dataset (``$id``), for engines that join an ``UNWIND``
# list to the relationships by scanning all of them (CypherGraphStore.edge_writes_by_dataset).
_MATCH_INTERVAL_OF = (
    "UNWIND $rows AS r MATCH (d:Dataset {id: $id})-[e:DERIVES_FROM]->(u:Dataset) "
    "WHERE e.valid_from = r.valid_from AND u.id = r.upstream "
)
UPDATE_INTERVALS_OF = (  # a stored interval re-observed (the fold's "updated"): what UPSERT_INTERVALS sets
    f"{_MATCH_INTERVAL_OF}SET e.valid_to = NULL, e.first_seen = r.first_seen, e.last_seen = r.last_seen, "
    "e.observations = r.observations, e.last_query_id = r.last_query_id, "
    "e.query_type = r.query_type, e.via = r.via, e.provenance = r.provenance"
)
CLOSE_INTERVALS_OF = f"{_MATCH_INTERVAL_OF}SET e.valid_to = r.valid_to"
MOVE_INTERVALS_BACK_OF = (
    "UNWIND $rows AS r MATCH (d:Dataset {id: $id})-[e:DERIVES_FROM]->(u:Dataset) "
    "WHERE e.valid_from = r.stored_from AND u.id = r.upstream SET e.valid_from = r.valid_from"
)
ALL_EDGES = f"MATCH (d:Dataset)-[e:DERIVES_FROM]->(u:Dataset) RETURN {_EDGE_FIELDS} ORDER BY downstream, upstream, valid_from"
EDGES_AS_OF = (
    "WITH $as_of AS as_of MATCH (d:Dataset)-[e:DERIVES_FROM]->(u:Dataset) "
    "WHERE e.valid_from <= as_of AND (e.valid_to IS NULL OR e.valid_to > as_of) "
    f"RETURN {_EDGE_FIELDS} ORDER BY downstream, upstream, valid_from"
)
WALK_EDGES = (
    "MATCH (d:Dataset)-[e:DERIVES_FROM]->(u:Dataset) RETURN d.id AS downstream, u.id AS upstream, "
    "e.valid_from AS valid_from, e.valid_to AS valid_to, e.last_seen AS last_seen, e.query_type AS query_type, "
    "e.first_seen AS first_seen, e.observations AS observations, e.via AS via"
)
"""Only what the exposure walk reads of each dataset interval, in no order (:meth:`CypherGraphStore.walk_edges`)."""
COUNTS = (
    "MATCH (d:Dataset) RETURN count(d) AS n",
    "MATCH (c:`Column`) RETURN count(c) AS n",
    "MATCH (:Dataset)-[e:DERIVES_FROM]->(:Dataset) RETURN count(e) AS n",
    "MATCH (:`Column`)-[e:DERIVES_FROM]->(:`Column`) RETURN count(e) AS n",
)

CHUNK = 5_000
"""Default rows per ``UNWIND`` statement (``CypherGraphStore.chunk_size``); all chunks of one
call share its transaction."""
DATASET_STATEMENT_ROWS = 250
"""Rows per statement keyed by one dataset (``..._OF``): the engine joins them with every column (or
interval) of the dataset before it filters, so the rows are bounded (:meth:`CypherGraphStore._writes_by_dataset`)."""

_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_LINE_COMMENT = re.compile(r"//[^\n]*")


class CypherGraphStore(ABC):
    """A GraphStore whose behaviour is Cypher text; subclasses bind it to one engine.

    Thread-safe: calls are serialised by a per-store lock (one connection per store).
    """

    backend: str = "cypher"
    chunk_size: int = CHUNK
    """Rows per ``UNWIND`` statement; a backend may set it from ``graph.batch_size``."""
    profile: Profile = NO_PROFILE
    """Where :meth:`apply_events` adds seconds per statement (``graph.<name>``); set by a profiled crawl."""

    def __init__(self, *, read_only: bool = False) -> None:
        self.read_only = read_only
        self._lock = threading.RLock()

    # -- backend hooks -------------------------------------------------------------------

    @abstractmethod
    def _execute(self, query: str, params: Mapping[str, object]) -> list[dict[str, object]]:
        """Run one statement; rows as dicts of plain values (aware UTC datetimes, nodes as
        property dicts). Raises GraphError / TransientGraphError."""

    @abstractmethod
    def _transaction(self, *, read_only: bool) -> AbstractContextManager[None]:
        """Scope in which every ``_execute`` belongs to one transaction, rolled back on error."""

    @abstractmethod
    def _schema_statements(self) -> Sequence[str]:
        """Idempotent DDL for :meth:`migrate`."""

    def _prepare_trace(self, text: str) -> str:
        """Adapt a saved trace's text to the engine; identity unless the engine needs it."""
        return text

    @abstractmethod
    def close(self) -> None:
        """Release the database; idempotent."""

    def __enter__(self) -> CypherGraphStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- GraphStore ------------------------------------------------------------------------

    def migrate(self) -> None:
        """Create the schema (idempotent). See :meth:`GraphStore.migrate`."""
        self._require_writable("migrate the schema")
        with self._lock:
            for statement in self._schema_statements():
                self._execute(statement, {})
            upgrade_column_rules(self)  # a graph crawled before the `cast` transform (graph/column_rules.py)

    def apply_events(self, events: Sequence[LineageEvent]) -> MergeReport:
        """Fold events into temporal edges in one transaction. See :meth:`GraphStore.apply_events`."""
        self._require_writable("apply lineage events")
        events = list(events)
        if not events:
            return MergeReport()
        naive = next((e for e in events if e.at.tzinfo is None or e.at.utcoffset() is None), None)
        if naive is not None:
            raise GraphError(self.backend, f"lineage event of query {naive.query_id} has a naive 'at' "
                             f"({naive.at.isoformat()}); events need timezone-aware UTC datetimes")
        report = MergeReport()
        with self._lock, self._transaction(read_only=False):
            for part in containers.split_batch(events):  # container events read what came before
                if containers.needs_state(part[0]):
                    written, part = self._container_events(part[0])
                    report = report + written
                for lane, events_of_lane in lanes.split(part):  # issue 16: one timeline per producer
                    report = report + self._fold_and_write(events_of_lane, lane)
        return report

    def _container_events(self, event: LineageEvent) -> tuple[MergeReport, list[LineageEvent]]:
        """Return the dataset events of a container event or UNDROP (:mod:`.containers`), read in
        the open write transaction, and what was already written for it (a RENAME moves first)."""
        container = event.target.id if event.target.kind in CONTAINER_KINDS else event.target.id.rpartition(".")[0]
        if event.operation is Operation.CLONE and event.sources:
            container = event.sources[0].id  # a container CLONE copies what its source holds
        inside = []
        for held in [container] + ([event.counterpart.id] if event.operation is Operation.SWAP
                                   and event.counterpart is not None else []):  # a SWAP: what both hold
            dataset, stage = containers.prefixes(held)
            rows = self._execute(READ_CONTAINED, {"prefix": dataset, "stage": stage})
            inside += containers.contained(held, [(r["id"], r["name"], r["kind"], r["dropped_at"]) for r in rows])
        if event.operation in (Operation.RENAME, Operation.SWAP):  # move now, then point moved datasets at moved upstreams
            moves = containers.expand(event, inside)
            report = self._fold_and_write(moves) if moves else MergeReport()
            moved = containers.destinations(moves)
            rows = [edge_row(r) for r in self._read_of_ids(READ_OPEN_INTERVALS, READ_OPEN_INTERVALS_OF, moved)]
            columns = [edge_row(r) for r in
                       self._read_of_ids(READ_OPEN_COLUMN_INTERVALS, READ_OPEN_COLUMN_INTERVALS_OF, moved)]
            return report, containers.inside_fixups(event, moved, rows, columns)
        if event.operation is not Operation.UNDROP:
            return MergeReport(), containers.expand(event, inside)
        out = []
        for node in containers.undrop_targets(event, inside):
            params = {"id": node[0], "at": node[3]}
            upstreams = [(r["id"], r["name"], r["kind"]) for r in self._execute(READ_CLOSED_AT, params)]
            columns = [ColumnLineage(str(r["upstream"]), str(r["downstream"]), str(r["transform"] or "expression"),
                                     str(r["kind"] or "DIRECT")) for r in self._execute(READ_CLOSED_COLUMNS_AT, params)]
            out.append(containers.undrop_event(event, node, upstreams, columns))
        return MergeReport(), out

    def _fold_and_write(self, events: list[LineageEvent], lane: str = lanes.QUERY_HISTORY) -> MergeReport:
        """Read what ``events`` need, fold them and write the plan (inside the open transaction).

        ``lane``: the events' lane (:mod:`.lanes`); only that lane's open intervals are folded
        and written, and only the query-history lane uses and writes replay marks and drops.
        """
        reads = reads_for(events)
        nodes = {r["id"]: NodeState(**r) for r in self._run_chunked(READ_NODES, "ids", reads.named)}
        open_rows = [edge_row(r) for r in self._read_of_ids(READ_OPEN_INTERVALS, READ_OPEN_INTERVALS_OF, reads.full)]
        open_rows += self._read_open_pairs(reads.pairs)
        column_rows = [edge_row(r) for r in
                       self._read_of_ids(READ_OPEN_COLUMN_INTERVALS, READ_OPEN_COLUMN_INTERVALS_OF, reads.column_targets)]
        ordered = lane == lanes.QUERY_HISTORY
        if not ordered:
            nodes = {i: replace(n, last_event_at=None, last_event_query_id=None) for i, n in nodes.items()}
        open_rows, column_rows = lanes.in_lane(open_rows, lane), lanes.in_lane(column_rows, lane)
        # late events (rows out of END_TIME order, replays) fold against the whole stored
        # history of their datasets and the resets of the datasets (graph/timeline.py)
        # and the datasets their content moved to later (read only for late events)
        late, resets = late_reads(events, nodes, self._read_resets) if ordered else ((), {})
        history = lanes.in_lane(
            (edge_row(r) for r in self._read_of_ids(READ_INTERVAL_HISTORY, READ_INTERVAL_HISTORY_OF, late)), lane)
        column_history = lanes.in_lane((edge_row(r) for r in self._read_of_ids(
            READ_COLUMN_INTERVAL_HISTORY, READ_COLUMN_INTERVAL_HISTORY_OF, late)), lane)
        with self.profile.timed("graph.fold"):
            plan = fold_events(events, nodes, open_rows, column_rows, history=history,
                               column_history=column_history, resets=resets, ordered=ordered)
        if not ordered:
            plan = replace(plan, marks=(), drops=(), revived=(), resets=())
        stored = {str(r["id"]) for r in self._run_chunked(READ_COLUMN_IDS, "ids", [c.id for c in plan.columns])}
        stated = {row_key(r): (r.query_type, r.provenance) for rows in (column_rows, column_history) for r in rows}
        self._write_plan(plan, stored, lane, _known_new(nodes, reads.named) if ordered else None, stated)
        return plan.report

    def _read_resets(self, ids: Sequence[str]) -> dict[str, list[str]]:
        """Return the stored ``resets`` lists of ``ids`` that have one."""
        return {str(r["id"]): list(r["resets"] or ()) for r in  # type: ignore[call-overload]
                self._run_chunked(READ_RESETS, "ids", list(ids))}

    def sync_classifications(self, assets: Sequence[Asset]) -> int:
        """Copy registry facts onto nodes. See :meth:`GraphStore.sync_classifications`."""
        self._require_writable("sync classifications")
        changed = 0
        with self._lock, self._transaction(read_only=False):
            for label in sync.LABELS:
                wanted = sync.wanted_properties(assets, label)
                current = {r["id"]: r for r in self._execute(sync.read_current(label), {})}
                current.update({r["id"]: r for r in self._run_chunked(sync.read_by_id(label), "ids", sorted(wanted))})
                rows, clear = sync.diff(wanted, current, label)
                for chunk in _chunks(rows, self.chunk_size):
                    self._execute(sync.set_properties(label), {"rows": chunk})
                for chunk in _chunks(clear, self.chunk_size):
                    self._execute(sync.clear_properties(label), {"ids": chunk})
                changed += len(rows) + len(clear)
        return changed

    def run_trace(self, trace: SavedTrace, params: Mapping[str, object]) -> list[dict[str, object]]:
        """Run a saved trace read-only. See :meth:`GraphStore.run_trace`.

        A text holding anything but reads is refused before it runs (GraphError naming the
        clause; :func:`~lineage_engine.graph.read_only_cypher.find_write_clause`).
        """
        clause = find_write_clause(trace.text)
        if clause is not None:
            raise GraphError(self.backend, f"trace '{trace.name}' holds {clause}, which is not a read; "
                             "traces may only read the graph, so it was not run")
        used = sorted(set(_PARAM.findall(_LINE_COMMENT.sub("", trace.text))))
        missing = [name for name in used if name not in params]
        if missing:
            raise GraphError(self.backend, f"trace '{trace.name}' needs parameter(s) "
                             f"{', '.join('$' + m for m in missing)}; pass them (see 'lineage-engine trace --list')")
        bound = {name: params[name] for name in used}
        try:
            with self._lock, self._transaction(read_only=True):
                return self._execute(self._prepare_trace(trace.text), bound)
        except GraphError as err:
            raise type(err)(self.backend, f"trace '{trace.name}' failed: {err.reason}") from err

    def iter_edges(self, as_of: datetime | None = None) -> Iterator[EdgeRow]:
        """Yield dataset edge intervals by downstream, upstream, valid_from (materialised first)."""
        with self._lock, self._transaction(read_only=True):
            rows = self._execute(ALL_EDGES, {}) if as_of is None else self._execute(EDGES_AS_OF, {"as_of": as_of})
        return iter([edge_row(r) for r in rows])

    def walk_edges(self) -> WalkEdges:
        """Return every dataset interval in the compact columns the exposure walk reads.

        Not part of the :class:`~lineage_engine.graph.store.GraphStore` protocol: a faster
        form of ``iter_edges(None)`` for :func:`lineage_engine.scan.load_lineage` (only six
        fields, no order, no :class:`EdgeRow`). The embedded store reads it as Arrow columns.

        Raises:
            GraphError: the graph could not be read.
        """
        with self._lock, self._transaction(read_only=True):
            rows = self._execute(WALK_EDGES, {})
        return WalkEdges.from_columns(
            [str(r["downstream"]) for r in rows], [str(r["upstream"]) for r in rows],
            (micros(r["valid_from"]) for r in rows),  # type: ignore[arg-type]
            (None if r["valid_to"] is None else micros(r["valid_to"]) for r in rows),  # type: ignore[arg-type]
            (None if r["last_seen"] is None else micros(r["last_seen"]) for r in rows),  # type: ignore[arg-type]
            (str(r["query_type"] or "") for r in rows),
            first_seen=(None if r["first_seen"] is None else micros(r["first_seen"]) for r in rows),  # type: ignore[arg-type]
            single=(r["observations"] == 1 and not r["via"] for r in rows))

    def iter_column_edges(self, as_of: datetime | None = None) -> Iterator[EdgeRow]:
        """Yield column edge intervals by downstream, upstream, kind, valid_from (materialised first)."""
        with self._lock, self._transaction(read_only=True):
            rows = self._execute(ALL_COLUMN_EDGES, {}) if as_of is None else \
                self._execute(COLUMN_EDGES_AS_OF, {"as_of": as_of})
        return iter([edge_row(r) for r in rows])

    def counts(self) -> GraphCounts:
        """Return node and relationship totals."""
        with self._lock, self._transaction(read_only=True):
            totals = [int(self._execute(q, {})[0]["n"]) for q in COUNTS]
        return GraphCounts(*totals)

    # -- helpers -----------------------------------------------------------------------------

    def _writes_by_dataset(self, family: str, datasets: int, rows: int) -> bool:
        """Return True to write ``rows`` stored intervals of ``family`` (``dataset`` or ``column``
        edges) into ``datasets`` datasets with one statement per dataset (``..._OF`` texts: ``$id``
        and its rows) rather than per chunk of rows. The default (Neo4j) never does: its indexes
        find each row's relationship. See :meth:`EmbeddedGraphStore._writes_by_dataset`."""
        return False

    def _reads_per_id(self, query: str, ids: int) -> bool:
        """Return True to run the read ``query`` (keyed by ``$ids``, or ``$rows`` of pairs) as one
        statement per dataset id (its ``..._OF`` form) for ``ids`` ids. The default (Neo4j) never
        does. See :meth:`EmbeddedGraphStore._reads_per_id`."""
        return False

    def _count_created(self, family: str, rows: int) -> None:
        """Note ``rows`` new nodes or relationships of ``family`` (``datasets``, ``dataset`` or
        ``column`` edges; :meth:`_writes_by_dataset`)."""

    def _require_writable(self, action: str) -> None:
        if self.read_only:
            raise GraphError(self.backend, f"cannot {action}: the graph was opened read-only")

    def _run_chunked(self, query: str, name: str, values: Sequence[object]) -> list[dict[str, object]]:
        rows: list[dict[str, object]] = []
        for chunk in _chunks(values, self.chunk_size):
            with self.profile.timed(_statement_kind(query)):
                rows.extend(self._execute(query, {name: chunk}))
        return rows

    def _read_of_ids(self, query: str, query_of_one: str, ids: Sequence[str]) -> list[dict[str, object]]:
        """Run a read keyed by dataset ids: ``query`` (``$ids``) by chunks, or ``query_of_one``
        (``$id``) once per id when :meth:`_reads_per_id`; the rows of every id, in id order."""
        if not self._reads_per_id(query, len(ids)):
            return self._run_chunked(query, "ids", ids)
        rows: list[dict[str, object]] = []
        if ids:
            with self.profile.timed(_statement_kind(query)):
                for one in ids:
                    rows.extend(self._execute(query_of_one, {"id": one}))
        return rows

    def _read_open_pairs(self, pairs: Sequence[tuple[str, str]]) -> list[EdgeRow]:
        """Return the stored open intervals of ``(downstream, upstream)`` pairs (add-only events).

        With :meth:`_reads_per_id`, the open intervals of each downstream are read by id and only
        the pairs asked for are kept (the same rows as ``READ_OPEN_PAIRS``).
        """
        downstreams = sorted({d for d, _ in pairs})
        if not self._reads_per_id(READ_OPEN_PAIRS, len(downstreams)):
            rows = [{"downstream": d, "upstream": u} for d, u in pairs]
            return [edge_row(r) for r in self._run_chunked(READ_OPEN_PAIRS, "rows", rows)]
        wanted = set(pairs)
        return [edge_row(r) for r in self._read_of_ids(READ_OPEN_PAIRS, READ_OPEN_INTERVALS_OF, downstreams)
                if (r["downstream"], r["upstream"]) in wanted]

    def _write_plan(self, plan: TimelinePlan, stored_columns: set[str], lane: str = lanes.QUERY_HISTORY,
                    known_new: Callable[[str, datetime], bool] | None = None,
                    stated: Mapping[tuple[str, str, str, datetime], tuple[str, str]] | None = None) -> None:
        """Write ``plan``; ``known_new(dataset id, valid_from)``: True when no interval into that
        dataset (or its columns) with that ``valid_from`` is stored, so a new one is CREATEd, not
        MERGEd (None: MERGE them all). ``stated``: the stored ``(query_type, provenance)`` of the
        column intervals the fold read, by :func:`row_key`: a re-observed one that keeps both is
        written without them (``OBSERVE_COLUMN_INTERVALS``), the others with them
        (``UPDATE_COLUMN_INTERVALS``); ``via``, when it grew, in the same statement (``..._VIA``)."""
        new_columns = [c for c in plan.columns if c.id not in stored_columns]
        creates: list[EdgeRow] = []
        column_creates: list[EdgeRow] = []
        if known_new is not None:
            creates = [r for r in plan.edge_creates if known_new(r.downstream, r.valid_from)]
            column_creates = [r for r in plan.column_creates if known_new(dataset_of(r.downstream), r.valid_from)]
        created, column_created = set(map(row_key, creates)), set(map(row_key, column_creates))
        upserts = [r for r in plan.upserts if row_key(r) not in created]
        updates: list[EdgeRow] = []
        new = set(map(row_key, plan.edge_creates))
        stored_upserts = [r for r in upserts if row_key(r) not in new]
        if stored_upserts and self._writes_by_dataset("dataset", len({r.downstream for r in stored_upserts}),
                                                      len(stored_upserts)):
            updates = [r for r in upserts if row_key(r) not in new]  # stored, re-observed: matched per dataset
            upserts = [r for r in upserts if row_key(r) in new]
        column_upserts = [r for r in plan.column_creates if row_key(r) not in column_created]
        grown = set(map(row_key, plan.column_via))  # among column_updates (stored intervals)
        observed: dict[tuple[bool, bool], list[dict[str, object]]] = {(a, b): [] for a in (False, True)
                                                                       for b in (False, True)}
        for r in plan.column_updates:
            restated = (stated or {}).get(row_key(r)) != (r.query_type, r.provenance)
            row: dict[str, object] = {
                "downstream": r.downstream, "upstream": r.upstream, "valid_from": r.valid_from, "kind": r.kind,
                "last_seen": r.last_seen, "observations": r.observations, "last_query_id": r.last_query_id}
            if restated:
                row.update(query_type=r.query_type, provenance=r.provenance)
            if row_key(r) in grown:
                row["via"] = list(r.via)
            observed[restated, row_key(r) in grown].append(row)
        statements: list[tuple[str, str, list[object]]] = [
            (MERGE_DATASETS, "ids", [n.id for n in plan.nodes]),
            (SET_DATASETS, "rows", [
                {"id": n.id, "name": n.name, "kind": n.kind, "namespace": n.namespace,
                 "first_seen": n.first_seen, "last_seen": n.last_seen} for n in plan.nodes]),
            (SET_MARKS, "rows", [{"id": i, "at": at, "query_id": q} for i, at, q in plan.marks]),
            (SET_RESETS, "rows", [{"id": i, "resets": list(positions)} for i, positions in plan.resets]),
            (SET_DROPPED, "rows", [{"id": i, "at": at} for i, at in plan.drops]),
            (CLEAR_DROPPED, "ids", list(plan.revived)),
            (MOVE_INTERVALS_BACK, "rows", [{"downstream": r.downstream, "upstream": r.upstream, "valid_from": r.valid_from,
                                            "stored_from": stored_from} for r, stored_from in plan.moved_back]),
            (CREATE_INTERVALS, "rows", [_interval_params(r) for r in creates]),
            (UPSERT_INTERVALS, "rows", [_interval_params(r) for r in upserts]),
            (UPDATE_INTERVALS_OF, "rows", [_interval_params(r) for r in updates]),
            (CLOSE_INTERVALS, "rows", [
                {"downstream": r.downstream, "upstream": r.upstream, "valid_from": r.valid_from,
                 "valid_to": r.valid_to} for r in plan.closes]),
            (CREATE_COLUMNS, "ids", [c.id for c in new_columns]),
            (NAME_COLUMNS, "rows", [{"id": c.id, "dataset_id": c.dataset_id, "name": c.name} for c in new_columns]),
            (LINK_NEW_COLUMNS, "rows", [{"id": c.id, "dataset_id": c.dataset_id} for c in new_columns]),
            (MOVE_COLUMN_INTERVALS_BACK, "rows", [
                {"downstream": r.downstream, "upstream": r.upstream, "valid_from": r.valid_from, "kind": r.kind,
                 "stored_from": stored_from, "first_seen": r.first_seen, "observations": r.observations,
                 "via": list(r.via)} for r, stored_from in plan.column_moved_back]),
            (CREATE_COLUMN_INTERVALS, "rows", [
                {**_interval_params(r), "transform": r.transform, "kind": r.kind} for r in column_creates]),
            (UPSERT_COLUMN_INTERVALS, "rows", [
                {**_interval_params(r), "transform": r.transform, "kind": r.kind} for r in column_upserts]),
            (OBSERVE_COLUMN_INTERVALS, "rows", observed[False, False]),
            (OBSERVE_COLUMN_INTERVALS_VIA, "rows", observed[False, True]),
            (UPDATE_COLUMN_INTERVALS, "rows", observed[True, False]),
            (UPDATE_COLUMN_INTERVALS_VIA, "rows", observed[True, True]),
            (SET_COLUMN_TRANSFORM, "rows", [
                {"downstream": r.downstream, "upstream": r.upstream, "valid_from": r.valid_from, "kind": r.kind,
                 "transform": r.transform} for r in plan.column_transforms]),
            (CLOSE_COLUMN_INTERVALS, "rows", [
                {"downstream": r.downstream, "upstream": r.upstream, "valid_from": r.valid_from,
                 "valid_to": r.valid_to, "kind": r.kind} for r in plan.column_closes]),
        ]
        keyed = lane != lanes.QUERY_HISTORY  # other lanes key their intervals by provenance too (.lanes)
        for query, name, values in statements:
            if not values:
                continue
            by_dataset = _BY_DATASET.get(query)
            groups: dict[str, list[object]] = {}
            if by_dataset is not None:
                for row in values:
                    groups.setdefault(by_dataset[1](row["downstream"]), []).append(row)  # type: ignore[index]
                family = "dataset" if by_dataset[1] is dataset_group else "column"
                if query != UPDATE_INTERVALS_OF and not self._writes_by_dataset(family, len(groups), len(values)):
                    by_dataset = None
            text = by_dataset[0] if by_dataset is not None else query
            if keyed and query in _INTERVAL_STATEMENTS:
                text = lanes.keyed_by_provenance(text, lane)
                values = [{**v, "provenance": lane} for v in values] if name == "rows" else values  # type: ignore[dict-item]
            with self.profile.timed(_statement_kind(query)):
                if by_dataset is None:
                    for chunk in _chunks(values, self.chunk_size):
                        self._execute(text, {name: chunk})
                    continue
                for group, rows in groups.items():
                    for chunk in _chunks(rows, min(self.chunk_size, DATASET_STATEMENT_ROWS)):
                        self._execute(text, {"id": group, "rows": chunk})
        self._count_created("datasets", plan.report.datasets_created)
        self._count_created("dataset", len(plan.edge_creates))
        self._count_created("column", len(plan.column_creates))


_INTERVAL_STATEMENTS = frozenset({UPDATE_INTERVALS_OF, UPSERT_INTERVALS, CLOSE_INTERVALS, UPSERT_COLUMN_INTERVALS, UPDATE_COLUMN_INTERVALS,
                                  OBSERVE_COLUMN_INTERVALS, OBSERVE_COLUMN_INTERVALS_VIA, UPDATE_COLUMN_INTERVALS_VIA,
                                  SET_COLUMN_TRANSFORM, CLOSE_COLUMN_INTERVALS})
"""Statements that write one lineage interval each (keyed by provenance in lanes other than the query history)."""


def _by_dataset() -> dict[str, tuple[str, Callable[[str], str]]]:
    """Statement -> (its one-dataset form, the dataset of a row's ``downstream``) (``_writes_by_dataset``)."""
    return {
        UPDATE_INTERVALS_OF: (UPDATE_INTERVALS_OF, dataset_group),
        CLOSE_INTERVALS: (CLOSE_INTERVALS_OF, dataset_group),
        MOVE_INTERVALS_BACK: (MOVE_INTERVALS_BACK_OF, dataset_group),
        UPDATE_COLUMN_INTERVALS: (UPDATE_COLUMN_INTERVALS_OF, column_group),
        OBSERVE_COLUMN_INTERVALS: (OBSERVE_COLUMN_INTERVALS_OF, column_group),
        OBSERVE_COLUMN_INTERVALS_VIA: (OBSERVE_COLUMN_INTERVALS_VIA_OF, column_group),
        UPDATE_COLUMN_INTERVALS_VIA: (UPDATE_COLUMN_INTERVALS_VIA_OF, column_group),
        SET_COLUMN_TRANSFORM: (SET_COLUMN_TRANSFORM_OF, column_group),
        CLOSE_COLUMN_INTERVALS: (CLOSE_COLUMN_INTERVALS_OF, column_group),
        MOVE_COLUMN_INTERVALS_BACK: (MOVE_COLUMN_INTERVALS_BACK_OF, column_group),
    }


_BY_DATASET = _by_dataset()


def _known_new(nodes: Mapping[str, NodeState], named: Sequence[str]) -> Callable[[str, datetime], bool]:
    """Return ``known_new(dataset id, valid_from)`` for the query-history lane of a batch.

    True when no query-history interval into the dataset (or its columns) can be stored with
    that ``valid_from``: the dataset is new (read, not found), or ``valid_from`` is after the
    last event applied to it (``last_event_at``): every interval that lane stored into a
    dataset starts at or before that instant (events mark their target and counterpart,
    late ones only move intervals earlier). A dataset stored before marks existed (no
    ``last_event_at``), or one the batch did not read, is not known: its intervals are MERGEd.
    """
    read = frozenset(named)

    def known_new(dataset_id: str, valid_from: datetime) -> bool:
        if dataset_id not in read:
            return False
        node = nodes.get(dataset_id)
        if node is None:
            return True
        return node.last_event_at is not None and valid_from > node.last_event_at

    return known_new


def _statement_kind(query: str) -> str:
    """Return ``graph.<NAME>`` for a statement of this module or :mod:`.column_cypher` (profiles)."""
    name = _STATEMENT_NAMES.get(query)
    if name is None:
        import lineage_engine.graph.column_cypher as column_cypher

        for module in (globals(), vars(column_cypher)):
            for key, value in module.items():
                if value == query and key.isupper():
                    name = key.lower()
        _STATEMENT_NAMES[query] = name = name or "other"
    return f"graph.{name}"


_STATEMENT_NAMES: dict[str, str] = {}


def edge_row(row: Mapping[str, object]) -> EdgeRow:
    """Build an :class:`EdgeRow` from a row holding the ``_EDGE_FIELDS`` columns."""
    valid_from = row["valid_from"]
    return EdgeRow(
        downstream=str(row["downstream"]),
        upstream=str(row["upstream"]),
        valid_from=valid_from,  # type: ignore[arg-type]
        valid_to=row["valid_to"],  # type: ignore[arg-type]
        first_seen=row["first_seen"] or valid_from,  # type: ignore[arg-type]
        last_seen=row["last_seen"] or valid_from,  # type: ignore[arg-type]
        observations=int(row["observations"] or 0),  # type: ignore[call-overload]
        last_query_id=str(row["last_query_id"] or ""),
        query_type=str(row["query_type"] or ""),
        via=tuple(row["via"] or ()),  # type: ignore[arg-type]
        provenance=str(row.get("provenance") or "parsed"),  # edges stored before issue 3: parsed
        transform=str(row.get("transform") or ""),
        kind=str(row.get("kind") or ""),
    )


def _interval_params(row: EdgeRow) -> dict[str, object]:
    return {
        "downstream": row.downstream, "upstream": row.upstream, "valid_from": row.valid_from,
        "first_seen": row.first_seen, "last_seen": row.last_seen, "observations": row.observations,
        "last_query_id": row.last_query_id, "query_type": row.query_type, "via": list(row.via),
        "provenance": row.provenance,
    }


def _chunks(values: Sequence[object], size: int = CHUNK) -> Iterator[list[object]]:
    for start in range(0, len(values), size):
        yield list(values[start:start + size])
