"""Neo4jGraphStore's own code, verified without a Neo4j server.

``FakeNeo4j`` stands in for ``neo4j.Driver``: it records every statement and parameter the
store sends, answers from a LadybugDB file the way a Neo4j 5 server would (times as
``neo4j.time.DateTime``, nodes as ``neo4j.graph.Node``, no stored nulls, variable-length
matches as trails), and runs managed transactions with the driver's retry loop. So these
tests check what only this backend does (sessions, managed and explicit transactions,
batching, parameter and result conversion, error mapping) and that it sends the shared
Cypher text unchanged. Neo4j's own behaviour is checked only by the contract suite against
a real server (tests/contract, NEO4J_URI or Docker).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import ladybug
import pytest
import pytz
from neo4j import Record
from neo4j.exceptions import Neo4jError, ServiceUnavailable, TransientError
from neo4j.graph import Graph, Node, Relationship
from neo4j.time import DateTime

from lineage_engine.errors import GraphError, TransientGraphError
from lineage_engine.graph import cypher_store, sync
from lineage_engine.graph.cypher_store import CypherGraphStore
from lineage_engine.graph.embedded import EmbeddedGraphStore
from lineage_engine.graph.neo4j import WRITE_LOCK, WRITE_LOCK_SCHEMA
from lineage_engine.graph.migrate import NEO4J_SCHEMA, PROPERTIES_BY_LABEL, migrate_statements, neo4j_index_statements
from lineage_engine.graph.neo4j import Neo4jGraphStore
from lineage_engine.graph.store import GraphStore, open_graph_store
from lineage_engine.model import Asset, ColumnLineage, DatasetRef, LineageEvent, MergeReport, Operation, SavedTrace
from lineage_engine.traces import coerce_params, list_traces

SECRET = "pa/ss:w0rd-never-shown"
URI = "neo4j://graph.example:7687"
T0 = datetime(2024, 3, 1, tzinfo=UTC)
SHARED_TEXT = {
    cypher_store.READ_NODES, cypher_store.READ_OPEN_INTERVALS, cypher_store.READ_OPEN_PAIRS,
    cypher_store.MERGE_DATASETS, cypher_store.SET_DATASETS, cypher_store.SET_MARKS, cypher_store.SET_DROPPED,
    cypher_store.CLEAR_DROPPED, cypher_store.UPSERT_INTERVALS, cypher_store.CLOSE_INTERVALS,
    cypher_store.ALL_EDGES, cypher_store.EDGES_AS_OF, *cypher_store.COUNTS,
    cypher_store.READ_OPEN_COLUMN_INTERVALS, cypher_store.READ_COLUMN_IDS, cypher_store.CREATE_COLUMNS, cypher_store.NAME_COLUMNS,
    cypher_store.LINK_NEW_COLUMNS, cypher_store.UPSERT_COLUMN_INTERVALS, cypher_store.UPDATE_COLUMN_INTERVALS,
    cypher_store.UPDATE_COLUMN_INTERVALS_VIA, cypher_store.CLOSE_COLUMN_INTERVALS, cypher_store.ALL_COLUMN_EDGES,
    cypher_store.OBSERVE_COLUMN_INTERVALS, cypher_store.OBSERVE_COLUMN_INTERVALS_VIA,
    cypher_store.COLUMN_EDGES_AS_OF,
    cypher_store.READ_INTERVAL_HISTORY, cypher_store.READ_RESETS, cypher_store.SET_RESETS,
    cypher_store.MOVE_INTERVALS_BACK, cypher_store.READ_COLUMN_INTERVAL_HISTORY,
    cypher_store.MOVE_COLUMN_INTERVALS_BACK, cypher_store.SET_COLUMN_TRANSFORM,
    cypher_store.CREATE_INTERVALS, cypher_store.CREATE_COLUMN_INTERVALS,
    *(f(label) for label in sync.LABELS for f in (sync.read_current, sync.read_by_id, sync.set_properties,
                                                   sync.clear_properties)),
}


# -- the stand-in driver -------------------------------------------------------------------------


@dataclass
class Sent:
    tx: int
    mode: str  # READ | WRITE
    query: str
    params: dict[str, Any]


def server_error(code: str, message: str) -> Neo4jError:
    """A Neo4jError as the driver builds it from a server FAILURE message."""
    hydrate = getattr(Neo4jError, "_hydrate_neo4j", None) or getattr(Neo4jError, "hydrate")  # 6.x, 5.x
    return hydrate(code=code, message=message)


class FakeNeo4j:
    """The part of ``neo4j.Driver`` the store uses, served from LadybugDB like a Neo4j 5 server."""

    def __init__(self, path: Path) -> None:
        self.db = ladybug.Database(str(path))
        self.conn = ladybug.Connection(self.db)
        for statement in migrate_statements("embedded"):
            self.conn.execute(statement)
        self.sent: list[Sent] = []
        self.transactions: list[tuple[str, str, str]] = []  # (managed | explicit, mode, committed | rolled back)
        self.sessions: list[dict[str, Any]] = []
        self.faults: list[Callable[[str], BaseException | None]] = []
        self.closed = 0

    def session(self, **config: Any) -> FakeSession:
        self.sessions.append(config)
        return FakeSession(self, config.get("default_access_mode", "WRITE"))

    def close(self) -> None:
        self.closed += 1

    def shutdown(self) -> None:
        self.conn.close()
        self.db.close()

    def statements(self, query: str) -> list[Sent]:
        return [s for s in self.sent if s.query == query]

    def verify_connectivity(self) -> None:
        """The server answers (what ``neo4j.Driver.verify_connectivity`` checks)."""


class FakeSession:
    def __init__(self, driver: FakeNeo4j, mode: str) -> None:
        self.driver, self.mode = driver, mode

    def __enter__(self) -> FakeSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        pass

    def execute_write(self, work: Callable[[Any], Any]) -> Any:
        return self._managed(work, "WRITE")

    def execute_read(self, work: Callable[[Any], Any]) -> Any:
        return self._managed(work, "READ")

    def _managed(self, work: Callable[[Any], Any], mode: str) -> Any:
        """The driver's loop: run the unit, commit; on a retryable error roll back and run it again."""
        for attempt in range(5):
            tx = FakeTransaction(self.driver, mode, "managed")
            try:
                result = work(tx)
            except Exception as exc:
                tx.close()
                if isinstance(exc, Neo4jError | ServiceUnavailable) and exc.is_retryable() and attempt < 4:
                    continue
                raise
            tx.commit()
            return result
        raise AssertionError("unreachable")

    def begin_transaction(self) -> FakeTransaction:
        return FakeTransaction(self.driver, self.mode.upper().replace("_ACCESS", "") if self.mode else "WRITE",
                               "explicit")


class FakeTransaction:
    def __init__(self, driver: FakeNeo4j, mode: str, kind: str) -> None:
        self.driver, self.mode, self.kind = driver, "READ" if mode.upper().startswith("R") else "WRITE", kind
        self.id = len(driver.transactions)
        driver.transactions.append((kind, self.mode, "open"))
        driver.conn.execute("BEGIN TRANSACTION READ ONLY" if self.mode == "READ" else "BEGIN TRANSACTION")
        self.done = False

    def run(self, query: str, params: dict[str, Any]) -> list[Record]:
        _check_sendable(params)
        self.driver.sent.append(Sent(self.id, self.mode, query, params))
        for fault in self.driver.faults:
            error = fault(query)
            if error is not None:
                raise error
        if query.startswith(("CREATE CONSTRAINT", "CREATE INDEX")):
            assert " IF NOT EXISTS " in query, query
            return []
        if query == WRITE_LOCK:  # Neo4j's node lock; the server tests (test_neo4j_server.py) show it works
            return [Record([("id", "graph")])]
        # Neo4j matches *1..10 as trails; LadybugDB needs the keyword (graph/embedded.py).
        text = EmbeddedGraphStore._prepare_trace(None, query)  # type: ignore[arg-type]
        try:
            result = self.driver.conn.execute(text, params)
        except RuntimeError as exc:  # e.g. a write in a read transaction, as Neo4j refuses it
            raise server_error("Neo.ClientError.Statement.AccessMode", str(exc).splitlines()[0]) from None
        names, rows, graph = result.get_column_names(), [], Graph()
        while result.has_next():
            rows.append(Record(zip(names, [_served(v, graph) for v in result.get_next()], strict=True)))
        result.close()
        return rows

    def commit(self) -> None:
        self._end("COMMIT", "committed")

    def close(self) -> None:
        if not self.done:
            self._end("ROLLBACK", "rolled back")

    def _end(self, statement: str, outcome: str) -> None:
        self.driver.conn.execute(statement)
        kind, mode, _ = self.driver.transactions[self.id]
        self.driver.transactions[self.id] = (kind, mode, outcome)
        self.done = True


def _check_sendable(value: object) -> None:
    """What the store sends must be plain driver values, every time aware UTC."""
    if isinstance(value, datetime):
        assert value.tzinfo is UTC, f"datetime parameter not in UTC: {value!r}"
    elif isinstance(value, dict):
        for v in value.values():
            _check_sendable(v)
    elif isinstance(value, list):
        for v in value:
            _check_sendable(v)
    else:
        assert value is None or isinstance(value, (str, int, float, bool)), f"unexpected parameter {value!r}"


def _served(value: object, graph: Graph) -> object:
    """A LadybugDB value as a Neo4j server sends it (stored offset +00:00; no null properties)."""
    if isinstance(value, datetime):
        return DateTime.from_native(value.replace(tzinfo=pytz.FixedOffset(0)))
    if isinstance(value, list):
        return [_served(v, graph) for v in value]
    if isinstance(value, dict) and "_LABEL" in value and "_ID" in value:
        label, ident = value["_LABEL"], value["_ID"]
        own = PROPERTIES_BY_LABEL[label]
        properties = {k: _served(v, graph) for k, v in value.items() if k in own}
        element_id = f"4:fake:{ident['table']}:{ident['offset']}"
        if "_SRC" in value:
            return graph.relationship_type(label)(graph, element_id, ident["offset"], properties)
        return Node(graph, element_id, ident["offset"], [label], properties)
    return value


# -- fixtures ------------------------------------------------------------------------------------


@pytest.fixture
def fake(tmp_path: Path) -> Iterator[FakeNeo4j]:
    driver = FakeNeo4j(tmp_path / "server.lbug")
    yield driver
    driver.shutdown()


def open_fake(fake: FakeNeo4j, **options: Any) -> Neo4jGraphStore:
    store = Neo4jGraphStore(URI, credentials=f"lineage/{SECRET}", driver=fake, **options)
    store.migrate()
    fake.sent.clear()
    fake.transactions.clear()
    return store


@pytest.fixture
def reference(tmp_path: Path) -> Iterator[GraphStore]:
    store = open_graph_store("embedded", path=tmp_path / "reference.lbug")
    yield store
    store.close()


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def ev(hours: float, op: Operation, target: str, *sources: str, counterpart: str | None = None,
       kind: str = "table") -> LineageEvent:
    return LineageEvent(at(hours), f"q{hours}", op.name, op, DatasetRef(target, target.upper(), kind),
                        tuple(DatasetRef(s, s.upper(), "stage" if s.startswith("@") else "table") for s in sources),
                        replaces=op in (Operation.REPLACE, Operation.VIEW),
                        counterpart=DatasetRef(counterpart, counterpart.upper()) if counterpart else None)


def cols(event: LineageEvent, *edges: tuple[str, str, str]) -> LineageEvent:
    """The event with column edges ``(source, target, transform)`` (issue 5)."""
    return replace(event, columns=tuple(ColumnLineage(s, t, transform) for s, t, transform in edges))


HISTORY = [
    ev(1, Operation.INSERT, "prod.raw.customers", "@prod.raw.landing"),
    cols(ev(2, Operation.REPLACE, "prod.stg.clean", "prod.raw.customers"),
         ("prod.raw.customers.email", "prod.stg.clean.email", "expression"),
         ("prod.raw.customers.id", "prod.stg.clean.id", "identity")),
    cols(ev(3, Operation.REPLACE, "prod.mart.c360", "prod.stg.clean", "prod.raw.orders"),
         ("prod.stg.clean.email", "prod.mart.c360.email", "identity"),
         ("prod.raw.orders.total", "prod.mart.c360.total", "aggregation")),
    cols(ev(3, Operation.REPLACE, "prod.mart.masked", "prod.stg.clean"),
         ("prod.stg.clean.email", "prod.mart.masked.email_hash", "masked")),
    cols(ev(4, Operation.VIEW, "prod.rpt.daily", "prod.mart.c360", kind="view"),
         ("prod.mart.c360.email", "prod.rpt.daily.email", "identity")),
    cols(ev(5, Operation.REPLACE, "prod.mart.c360", "prod.raw.orders"),
         ("prod.raw.orders.total", "prod.mart.c360.total", "aggregation")),
    ev(6, Operation.INSERT, "prod.rpt.daily", "prod.mart.masked"),
    ev(6, Operation.INSERT, "prod.loop.a", "prod.loop.b", "prod.raw.customers"),
    ev(6, Operation.INSERT, "prod.loop.b", "prod.loop.a"),
    ev(6, Operation.INSERT, "prod.loop.c", "prod.loop.a"),
    ev(7, Operation.RENAME, "prod.loop.c", counterpart="prod.loop.c2"),
    ev(8, Operation.DROP, "prod.mart.masked"),
    ev(9, Operation.REPLACE, "prod.mart.masked", "prod.stg.clean"),
]
ASSETS = [
    Asset("prod.raw.customers", classification="restricted", regulatory_tags=("gdpr", "pii"), steward="dpo"),
    Asset("prod.raw.orders", classification="confidential", regulatory_tags=("financial",)),
    Asset("prod.mart.masked", classification="internal", masking_policy="MASK_PII"),
    Asset("prod.loop.b", classification="internal", regulatory_tags=()),
]
NODE = SavedTrace(name="_node", text="MATCH (d:Dataset {id: $id}) RETURN d AS node")


def build(store: GraphStore) -> MergeReport:
    report = store.apply_events(HISTORY)
    store.sync_classifications(ASSETS)
    return report


def snapshot(store: GraphStore) -> tuple[object, ...]:
    nodes = [store.run_trace(NODE, {"id": i})[0]["node"] for i in ("prod.raw.customers", "prod.mart.masked",
                                                                    "prod.loop.c", "prod.loop.b")]
    return (store.counts(), list(store.iter_edges()), list(store.iter_edges(at(4.5))), nodes,
            list(store.iter_column_edges()), list(store.iter_column_edges(at(4.5))))


# -- writes --------------------------------------------------------------------------------------


def test_history_gives_the_embedded_graph_with_shared_text_only(fake: FakeNeo4j, reference: GraphStore) -> None:
    store = open_fake(fake)
    assert build(store) == build(reference)
    assert snapshot(store) == snapshot(reference)
    # no Neo4j-only Cypher but the writers' lock (module doc of graph/neo4j.py)
    assert {s.query for s in fake.sent} <= SHARED_TEXT | {NODE.text, WRITE_LOCK}
    assert store.apply_events(HISTORY) == MergeReport(events_skipped=len(HISTORY))  # replay changes nothing
    assert snapshot(store) == snapshot(reference)


def test_apply_events_is_one_managed_write_transaction_in_configured_batches(fake: FakeNeo4j) -> None:
    store = open_fake(fake, batch_size=3)
    build_report = store.apply_events(HISTORY)
    assert fake.transactions == [("managed", "WRITE", "committed")]
    assert {s.tx for s in fake.sent} == {0} and {s.mode for s in fake.sent} == {"WRITE"}
    sizes = [len(v) for s in fake.sent for v in s.params.values() if isinstance(v, list)]
    assert sizes and max(sizes) == 3
    datasets = len({e.target.id for e in HISTORY} | {s.id for e in HISTORY for s in e.sources}
                   | {e.counterpart.id for e in HISTORY if e.counterpart})
    assert len(fake.statements(cypher_store.MERGE_DATASETS)) == math.ceil(datasets / 3)
    assert build_report.datasets_created == datasets


def test_a_transient_failure_reruns_the_whole_unit_and_stores_it_once(fake: FakeNeo4j, reference: GraphStore) -> None:
    store = open_fake(fake)
    store.apply_events(HISTORY[:4])
    reference.apply_events(HISTORY[:4])
    failures = iter([TransientError("deadlock detected")])
    fake.faults.append(lambda q: next(failures, None) if q == cypher_store.UPSERT_INTERVALS else None)
    fake.transactions.clear()
    assert store.apply_events(HISTORY[4:]) == reference.apply_events(HISTORY[4:])
    assert fake.transactions == [("managed", "WRITE", "rolled back"), ("managed", "WRITE", "committed")]
    assert snapshot(store) == snapshot(reference)


def test_a_persistent_outage_is_transient_and_stores_nothing(fake: FakeNeo4j) -> None:
    store = open_fake(fake)
    store.apply_events(HISTORY[:2])
    before = (store.counts(), list(store.iter_edges()))
    fake.faults.append(lambda q: ServiceUnavailable("Couldn't connect to graph.example:7687")
                       if q == cypher_store.CLOSE_INTERVALS else None)
    with pytest.raises(TransientGraphError) as info:
        store.apply_events(HISTORY[2:])
    message = str(info.value)
    assert "could not apply lineage events" in message and "neo4j://graph.example:7687" in message
    assert SECRET not in message and SECRET not in repr(info.value)
    fake.faults.clear()
    assert (store.counts(), list(store.iter_edges())) == before


@pytest.mark.parametrize(("error", "kind", "words"), [
    (server_error("Neo.ClientError.Schema.ConstraintValidationFailed", "Node already exists"), GraphError,
     "ConstraintValidationFailed"),
    (server_error("Neo.ClientError.Security.Unauthorized", "The client is unauthorized"), GraphError,
     "refused user 'lineage'"),
    (server_error("Neo.ClientError.Database.DatabaseNotFound", "Database does not exist"), GraphError,
     "no database 'lineage'; check graph.database"),
    (server_error("Neo.TransientError.General.DatabaseUnavailable", "Database unavailable"), TransientGraphError,
     "unavailable or busy"),
])
def test_server_errors_map_by_kind(fake: FakeNeo4j, error: Neo4jError, kind: type, words: str) -> None:
    store = open_fake(fake, database="lineage")
    fake.faults.append(lambda q: error if q == cypher_store.MERGE_DATASETS else None)
    with pytest.raises(GraphError) as info:
        store.apply_events(HISTORY[:1])
    assert type(info.value) is kind
    assert words in str(info.value) and SECRET not in str(info.value)
    if kind is GraphError:
        assert len(fake.transactions) == 1  # the driver does not retry a client error
    assert store.counts().datasets == 0


def test_sync_classifications_is_one_managed_write_transaction(fake: FakeNeo4j, reference: GraphStore) -> None:
    store = open_fake(fake)
    store.apply_events(HISTORY)
    reference.apply_events(HISTORY)
    fake.transactions.clear()
    assert store.sync_classifications(ASSETS) == reference.sync_classifications(ASSETS)
    assert fake.transactions == [("managed", "WRITE", "committed")]
    assert store.sync_classifications(ASSETS) == 0
    assert store.sync_classifications(ASSETS[:1]) == reference.sync_classifications(ASSETS[:1])
    assert snapshot(store) == snapshot(reference)


# -- reads and traces ----------------------------------------------------------------------------


def test_every_saved_trace_is_sent_as_written_and_returns_the_embedded_rows(
        fake: FakeNeo4j, reference: GraphStore) -> None:
    store = open_fake(fake)
    build(store)
    build(reference)
    samples = {"dataset": ["PROD.RAW.CUSTOMERS", "prod.rpt.daily", "prod.loop.a"],
               "origins": ["prod.raw.customers,PROD.LOOP.A,prod.raw.customers.email"],
               "column_id": ["PROD.RPT.DAILY.EMAIL", "prod.mart.masked.email_hash"],
               "as_of": ["2024-03-01T04:30:00Z", "now"],
               "since": ["2024-03-01T05:00:00Z"]}
    for trace in list_traces():
        names = [p.name for p in trace.params]
        for i in range(max(len(samples[n]) for n in names)):
            params = coerce_params(trace, {n: samples[n][i % len(samples[n])] for n in names})
            fake.sent.clear()
            fake.transactions.clear()
            rows = store.run_trace(trace, params)
            assert rows == reference.run_trace(trace, params), (trace.name, params)
            [sent] = fake.sent
            assert sent.query == trace.text and "TRAIL" not in sent.query  # unchanged: Neo4j walks trails
            assert sent.params == {n: params[n] for n in names} and sent.mode == "READ"
            assert fake.transactions == [("managed", "READ", "committed")]


def test_reads_are_read_transactions(fake: FakeNeo4j) -> None:
    store = open_fake(fake)
    build(store)
    fake.transactions.clear()
    store.counts()
    list(store.iter_edges())
    list(store.iter_edges(at(3).astimezone(pytz.timezone("Asia/Tokyo"))))  # sent in UTC (FakeTransaction checks)
    assert fake.transactions == [("managed", "READ", "committed")] * 3
    assert all(config["bookmark_manager"] is store._bookmarks for config in fake.sessions)


def test_a_trace_that_writes_fails_and_names_the_trace(fake: FakeNeo4j) -> None:
    store = open_fake(fake)
    sneaky = SavedTrace(name="sneaky", text="MERGE (d:Dataset {id: 'x'}) RETURN d.id AS id")
    with pytest.raises(GraphError, match="trace 'sneaky' holds MERGE, which is not a read") as info:
        store.run_trace(sneaky, {})
    assert not isinstance(info.value, TransientGraphError)
    assert store.counts().datasets == 0


def test_naive_datetimes_are_refused_before_sending(fake: FakeNeo4j) -> None:
    store = open_fake(fake)
    with pytest.raises(GraphError, match="naive datetime"):
        list(store.iter_edges(datetime(2024, 1, 1)))
    assert fake.sent == []


# -- schema, modes, lifecycle --------------------------------------------------------------------


def test_migrate_sends_constraints_and_configured_indexes_each_in_its_own_write_transaction(fake: FakeNeo4j) -> None:
    store = Neo4jGraphStore(URI, driver=fake, indexes=["last_seen", "valid_to", "Column.classification"])
    store.migrate()
    store.migrate()  # idempotent: the same IF NOT EXISTS statements again
    expected = [*NEO4J_SCHEMA, WRITE_LOCK_SCHEMA, *neo4j_index_statements(["last_seen", "Column.classification"])]
    # then the marker of the column-lineage rules (graph/column_rules.py), in one explicit write transaction
    schema = [s for s in fake.sent if "LineageRules {" not in s.query and not s.query.startswith("MATCH (:`Column`)")]
    assert [s.query for s in schema] == expected * 2
    assert "CREATE INDEX dataset_last_seen IF NOT EXISTS FOR (n:Dataset) ON (n.last_seen)" in expected
    assert fake.transactions == ([("managed", "WRITE", "committed")] * len(expected)
                                 + [("explicit", "WRITE", "committed")]) * 2
    assert len({s.tx for s in schema}) == len(schema)
    assert sum(s.query.startswith("MERGE (m:LineageRules") for s in fake.sent) == 1  # an empty graph: marked once


def test_read_only_store_refuses_writes_and_only_reads(fake: FakeNeo4j) -> None:
    writer = open_fake(fake)
    build(writer)
    fake.sent.clear()
    fake.transactions.clear()
    reader = Neo4jGraphStore(URI, driver=fake, read_only=True)
    reader.migrate()  # nothing to do read-only
    with pytest.raises(GraphError, match="opened read-only"):
        reader.apply_events(HISTORY)
    with pytest.raises(GraphError, match="opened read-only"):
        reader.sync_classifications(ASSETS)
    assert fake.sent == [] and fake.transactions == []
    assert reader.counts() == writer.counts()
    reader._execute(cypher_store.COUNTS[0], {})
    assert {mode for _, mode, _ in fake.transactions} == {"READ"}


def test_a_statement_outside_a_call_runs_alone_in_a_managed_transaction(fake: FakeNeo4j) -> None:
    store = open_fake(fake)
    store._execute("MERGE (d:Dataset {id: $id})", {"id": "x.y.z"})
    assert fake.transactions == [("managed", "WRITE", "committed")]
    assert store.counts().datasets == 1


def test_a_base_operation_not_wrapped_runs_in_one_explicit_transaction(fake: FakeNeo4j) -> None:
    store = open_fake(fake)
    store.apply_events(HISTORY[:2])
    fake.transactions.clear()
    assert CypherGraphStore.counts(store) == store.counts()
    assert fake.transactions[0] == ("explicit", "READ", "committed")
    fake.faults.append(lambda q: server_error("Neo.ClientError.Statement.SemanticError", "boom")
                       if q == cypher_store.CLOSE_INTERVALS else None)
    with pytest.raises(GraphError, match="transaction failed: Neo.ClientError.Statement.SemanticError: boom"):
        CypherGraphStore.apply_events(store, HISTORY[2:])
    assert fake.transactions[-1] == ("explicit", "WRITE", "rolled back")
    fake.faults.clear()
    assert store.counts().dataset_edges == 2


def test_close_is_idempotent_and_a_closed_store_says_so(fake: FakeNeo4j) -> None:
    store = open_fake(fake)
    store.close()
    store.close()
    assert fake.closed == 1
    with pytest.raises(GraphError, match="connection to Neo4j at neo4j://graph.example:7687 is closed"):
        store.counts()


def test_repr_names_the_server_and_user_but_never_the_password(fake: FakeNeo4j) -> None:
    store = open_fake(fake, database="lineage")
    text = repr(store)
    assert text == ("Neo4jGraphStore(uri='neo4j://graph.example:7687', database='lineage', user='lineage', "
                    "read_only=False)")
    assert SECRET not in text and SECRET not in repr(store.credentials) and SECRET not in str(store.credentials)


def test_relationships_come_back_as_their_properties(fake: FakeNeo4j, reference: GraphStore) -> None:
    store = open_fake(fake)
    build(store)
    build(reference)
    trace = SavedTrace(name="_rels", text="MATCH (d:Dataset {id: $id})-[e:DERIVES_FROM]->(u:Dataset) "
                                          "RETURN e, u.id AS upstream ORDER BY upstream")
    rows = store.run_trace(trace, {"id": "prod.mart.c360"})
    assert rows == reference.run_trace(trace, {"id": "prod.mart.c360"})
    assert set(rows[0]["e"]) == PROPERTIES_BY_LABEL["DERIVES_FROM"]  # type: ignore[arg-type]


def test_the_stand_in_serves_driver_types() -> None:
    """Guard for the tests above: results reach the store as the driver's own types."""
    graph = Graph()
    node = _served({"_LABEL": "Dataset", "_ID": {"table": 0, "offset": 1}, "id": "a", "first_seen": datetime(2024, 1, 1),
                    "dataset_id": "x"}, graph)
    assert isinstance(node, Node) and set(node.keys()) == {"id", "first_seen"}
    assert isinstance(node["first_seen"], DateTime)
    rel = _served({"_LABEL": "DERIVES_FROM", "_ID": {"table": 2, "offset": 0}, "_SRC": {}, "_DST": {}, "via": []}, graph)
    assert isinstance(rel, Relationship) and rel.type == "DERIVES_FROM"


@pytest.mark.parametrize("migrate", [True, False])
def test_migrate_on_open_decides_whether_opening_sends_schema_statements(
        fake: FakeNeo4j, monkeypatch: pytest.MonkeyPatch, migrate: bool) -> None:
    import neo4j

    monkeypatch.setattr(neo4j.GraphDatabase, "driver", lambda *args, **kwargs: fake)
    store = open_graph_store("neo4j", uri=URI, credentials=f"lineage/{SECRET}", migrate=migrate)
    schema = [s.query for s in fake.sent if s.query.startswith(("CREATE CONSTRAINT", "CREATE INDEX"))]
    assert bool(schema) is migrate
    if not migrate:  # `lineage-engine migrate` still creates it, explicitly
        store.migrate()
        assert [s.query for s in fake.sent if s.query.startswith("CREATE CONSTRAINT")]
