"""What a real Neo4j server shows (issue 12 §3): each point on the Neo4j test server.

The shared server (``neo4j_graph``: tests/conftest.py) serves most tests; the ones that need a
password, a small transaction memory limit or a restart start their own server in a temporary
folder through ``.ci/neo4j.sh`` (one per test module, about half a minute to start).
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from lineage_engine import services
from lineage_engine.errors import GraphError, TransientGraphError
from lineage_engine.graph.neo4j import WRITE_LOCK
from lineage_engine.graph.store import GraphStore, open_graph_store
from lineage_engine.model import ColumnLineage, DatasetRef, LineageEvent, Operation, SavedTrace
from lineage_engine.traces import load_trace
from tests.cli_run import environment, file_config, run_cli

REPO = Path(__file__).resolve().parents[2]
T0 = datetime(2024, 3, 1, tzinfo=UTC)
OWN_PASSWORD = "own-server-pass-1"


def ev(hours: float, target: str, *sources: str, op: Operation = Operation.INSERT,
       columns: tuple[tuple[str, str, str], ...] = ()) -> LineageEvent:
    def ref(name: str) -> DatasetRef:
        return DatasetRef(name, name.upper(), "table")

    return LineageEvent(T0 + timedelta(hours=hours), f"q{hours}-{target}", op.name, op, ref(target),
                        tuple(ref(s) for s in sources), replaces=op is Operation.REPLACE,
                        columns=tuple(ColumnLineage(c, f"{target}.{n}", t) for c, n, t in columns))


CYCLE = [ev(1, "db.s.a", "db.s.b"), ev(1, "db.s.b", "db.s.c"), ev(1, "db.s.c", "db.s.a"), ev(1, "db.s.d", "db.s.c")]


@pytest.fixture
def store(neo4j_graph) -> Iterator[GraphStore]:  # type: ignore[no-untyped-def]
    opened = open_graph_store("neo4j", **neo4j_graph.options)
    yield opened
    opened.close()


@pytest.fixture
def embedded(tmp_path: Path) -> Iterator[GraphStore]:
    opened = open_graph_store("embedded", path=tmp_path / "reference.lbug")
    yield opened
    opened.close()


# -- notifications --------------------------------------------------------------------------------


def test_a_crawl_logs_no_server_notifications(store: GraphStore, caplog: pytest.LogCaptureFixture) -> None:
    """The first events ever read ``dropped_at`` and other properties not stored yet (UNRECOGNIZED)."""
    caplog.set_level(logging.INFO, logger="neo4j")
    store.apply_events([*CYCLE, ev(2, "db.s.d", op=Operation.DROP)])
    for name in ("downstream_of", "upstream_of", "dataset_history"):
        trace = load_trace(name)
        params = {"dataset": "db.s.a", "as_of": T0 + timedelta(hours=3)}
        store.run_trace(trace, {p.name: params[p.name] for p in trace.params if p.name in params})
    noise = [r.getMessage() for r in caplog.records if r.name.startswith("neo4j.notifications")]
    assert noise == []


# -- one writer at a time ---------------------------------------------------------------------------


def test_a_second_writer_waits_for_the_first_to_commit(neo4j_graph, store: GraphStore, embedded: GraphStore) -> None:  # type: ignore[no-untyped-def]
    """While another transaction holds the write lock, apply_events waits, then reads what it wrote."""
    store.apply_events(CYCLE[:1])
    with neo4j_graph.driver() as driver, driver.session(database=neo4j_graph.options.get("database")) as session:
        holder = session.begin_transaction()
        holder.run(WRITE_LOCK).consume()
        done = threading.Event()
        errors: list[BaseException] = []

        def second_writer() -> None:
            try:
                store.apply_events(CYCLE)
            except BaseException as exc:  # noqa: BLE001 - reported by the test
                errors.append(exc)
            finally:
                done.set()

        thread = threading.Thread(target=second_writer)
        thread.start()
        assert not done.wait(2), "apply_events did not wait for the write lock"
        holder.rollback()
        thread.join(timeout=300)
    assert not errors and done.is_set()
    embedded.apply_events(CYCLE[:1])
    embedded.apply_events(CYCLE)
    assert list(store.iter_edges()) == list(embedded.iter_edges())


def _neo4j_config(folder: Path, options: dict[str, object], *, history: Path | None = None,
                  batch_size: int = 50, extra: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    graph = {"type": "neo4j", "uri": options["uri"], "credentials": options["credentials"]}
    if options.get("database"):
        graph["database"] = options["database"]
    config = folder / "lineage-engine.config.yaml"
    config.write_text(
        f"telemetry: {{provider: file, path: '{history or services.sample_history_path()}', batch_size: {batch_size}}}\n"
        f"graph: {json.dumps(graph)}\n"
        'compliance: {classification_db: "sqlite:///.lineage/registry.db"}\n'
        "monitoring: {slack_webhook: ''}\n" + extra, encoding="utf-8")
    return config


def _embedded_edges(folder: Path) -> list[dict[str, object]]:
    """The reference: the sample history crawled into an embedded graph."""
    config = file_config(folder, services.sample_history_path(), batch_size=50)
    run_cli(config, "crawl")
    return _edges(config)


def _edges(config: Path) -> list[dict[str, object]]:
    out = config.parent / "edges.jsonl"
    run_cli(config, "export", "edges", "--output", str(out))
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_two_crawls_at_once_store_what_one_crawl_stores(neo4j_graph, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Two crawl processes (each its own registry) write the same history into one graph at once."""
    configs = [_neo4j_config(tmp_path / name, neo4j_graph.options) for name in ("a", "b")]
    from tests.cli_run import COMMAND

    crawls = [subprocess.Popen([COMMAND, "--config", str(c), "crawl"], cwd=c.parent, env=environment(),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for c in configs]
    for crawl in crawls:
        out, err = crawl.communicate(timeout=600)
        assert crawl.returncode == 0, out + err
    assert _edges(configs[0]) == _embedded_edges(tmp_path / "reference")


# -- transactions -----------------------------------------------------------------------------------


def test_the_transaction_is_per_thread(neo4j_graph, store: GraphStore) -> None:  # type: ignore[no-untyped-def]
    """A statement from another thread never joins this thread's open transaction."""
    seen: list[list[dict[str, object]]] = []
    with store._lock, store._transaction(read_only=False):  # type: ignore[attr-defined]
        store._execute("CREATE (:Probe {id: 1})", {})  # type: ignore[attr-defined]
        assert store._tx is not None  # type: ignore[attr-defined]
        other = threading.Thread(target=lambda: seen.append(store._execute(  # type: ignore[attr-defined]
            "MATCH (p:Probe) RETURN count(p) AS n", {})))
        other.start()
        other.join(timeout=2)  # it waits for the store's lock: still running
        assert other.is_alive() and not seen
        store._execute("MATCH (p:Probe) DELETE p", {})  # type: ignore[attr-defined]  # commits none
    other.join(timeout=300)
    assert seen == [[{"n": 0}]]


def test_a_trace_that_writes_fails_in_its_read_transaction_on_both_backends(
        store: GraphStore, embedded: GraphStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """The second line of defence: past the clause check (switched off here), the read
    transaction itself refuses the write, on the server as on the embedded graph."""
    monkeypatch.setattr("lineage_engine.graph.cypher_store.find_write_clause", lambda text: None)
    store.apply_events(CYCLE)
    embedded.apply_events(CYCLE)
    sneaky = SavedTrace(name="sneaky", text="MATCH (d:Dataset) SET d.name = 'x' RETURN count(d) AS n")
    for graph in (store, embedded):
        with pytest.raises(GraphError, match="trace 'sneaky' failed"):
            graph.run_trace(sneaky, {})
        assert {r.upstream for r in graph.iter_edges()} == {"db.s.a", "db.s.b", "db.s.c"}
    rows = store._execute("MATCH (d:Dataset {name: 'x'}) RETURN count(d) AS n", {})  # type: ignore[attr-defined]
    assert rows == [{"n": 0}]


# -- the same answers on both backends ------------------------------------------------------------------


@pytest.mark.parametrize("pattern", ["*..3", "*2", "*1..3", "*2..2", "*0..2"])
def test_bounded_variable_length_patterns_answer_alike_on_a_cycle(pattern: str, store: GraphStore,
                                                                  embedded: GraphStore) -> None:
    trace = SavedTrace(name="walk", text=(
        f"MATCH p = (a:Dataset {{id: 'db.s.d'}})-[:DERIVES_FROM{pattern}]->(u:Dataset)\n"
        "RETURN u.id AS upstream, length(p) AS hops ORDER BY hops, upstream"))
    store.apply_events(CYCLE)
    embedded.apply_events(CYCLE)
    expected = embedded.run_trace(trace, {})
    assert expected and store.run_trace(trace, {}) == expected


@pytest.mark.parametrize("pattern", ["*", "*2..", "* ", "*1.."])
def test_unbounded_variable_length_patterns_are_refused_on_both(pattern: str, store: GraphStore,
                                                                embedded: GraphStore) -> None:
    trace = SavedTrace(name="open_ended", text=f"MATCH (a)-[:DERIVES_FROM{pattern}]->(u) RETURN u.id AS id")
    for graph in (store, embedded):
        with pytest.raises(GraphError, match=r"trace 'open_ended' failed: .*no upper bound.*\*1\.\.10"):
            graph.run_trace(trace, {})


def test_column_upstream_of_is_masked_only_when_every_shortest_route_is(store: GraphStore, embedded: GraphStore) -> None:
    """Two shortest column routes to one upstream, one through a masking function: not masked."""
    events = [
        ev(1, "db.s.mid_a", "db.s.src", columns=(("db.s.src.email", "email", "masked"),)),
        ev(1, "db.s.mid_b", "db.s.src", columns=(("db.s.src.email", "email", "identity"),)),
        ev(2, "db.s.out", "db.s.mid_a", "db.s.mid_b",
           columns=(("db.s.mid_a.email", "email", "identity"), ("db.s.mid_b.email", "email", "identity"))),
        ev(1, "db.s.masked_only", "db.s.src", columns=(("db.s.src.email", "email", "masked"),)),
    ]
    trace = load_trace("column_upstream_of")
    answers = []
    for graph in (store, embedded):
        graph.apply_events(events)
        rows = {r["upstream"]: r for r in graph.run_trace(trace, {"column_id": "db.s.out.email",
                                                                  "as_of": T0 + timedelta(hours=3)})}
        source = rows["db.s.src.email"]
        assert (source["hops"], source["routes"], source["masked"]) == (2, 2, False)
        assert [n["id"] for n in source["path"]] == ["db.s.out.email", "db.s.mid_b.email", "db.s.src.email"]
        masked = graph.run_trace(trace, {"column_id": "db.s.masked_only.email", "as_of": T0 + timedelta(hours=3)})
        assert [(r["upstream"], r["masked"]) for r in masked] == [("db.s.src.email", True)]
        answers.append(sorted((r["upstream"], r["hops"], r["routes"], r["masked"]) for r in rows.values()))
    assert answers[0] == answers[1]


# -- connections ------------------------------------------------------------------------------------


def test_neo4j_routing_uri_works_against_the_single_server(neo4j_graph, embedded: GraphStore) -> None:  # type: ignore[no-untyped-def]
    options = dict(neo4j_graph.options)
    options["uri"] = str(options["uri"]).replace("bolt://", "neo4j://")
    with open_graph_store("neo4j", **options) as routed:
        routed.apply_events(CYCLE)
        embedded.apply_events(CYCLE)
        trace = load_trace("upstream_of")
        params = {"dataset": "db.s.d", "as_of": T0 + timedelta(hours=2)}
        assert routed.run_trace(trace, params) == embedded.run_trace(trace, params)
        assert list(routed.iter_edges()) == list(embedded.iter_edges())


def test_a_missing_database_names_it_and_the_server(neo4j_graph, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    config = _neo4j_config(tmp_path / "c", {**neo4j_graph.options, "database": "nosuchdb"})
    result = run_cli(config, "crawl", check=False)
    assert result.returncode != 0
    assert "no database 'nosuchdb'" in result.stderr and str(neo4j_graph.options["uri"]) in result.stderr
    assert "Traceback" not in result.stderr


# -- a server of our own: password, memory limit, restart ---------------------------------------------------


class OwnServer:
    """A Neo4j test server in a private folder, with a password and an 8 MB transaction limit."""

    def __init__(self, folder: Path) -> None:
        self.env = {**os.environ, "LINEAGE_NEO4J_DIR": str(folder), "LINEAGE_NEO4J_PASSWORD": OWN_PASSWORD,
                    "LINEAGE_NEO4J_SETTINGS": "db.memory.transaction.max=8m", "LINEAGE_NEO4J_HEAP": "512m"}
        self.options: dict[str, object] = {}

    def start(self) -> None:
        out = subprocess.run(["bash", str(REPO / ".ci" / "neo4j.sh")], env=self.env, capture_output=True,
                             text=True, timeout=900)
        assert out.returncode == 0, out.stderr
        values = dict(line.removeprefix("export ").split("=", 1) for line in out.stdout.splitlines())
        self.options = {"uri": values["NEO4J_URI"].strip("'"), "credentials": values["NEO4J_AUTH"].strip("'")}

    def stop(self) -> None:
        subprocess.run(["bash", str(REPO / ".ci" / "neo4j.sh"), "stop"], env=self.env, capture_output=True,
                       timeout=300, check=True)


@pytest.fixture(scope="module")
def own_server(neo4j_server: dict[str, object], tmp_path_factory: pytest.TempPathFactory) -> Iterator[OwnServer]:
    """Needs the shared server too: without one (no Neo4j tests wanted) this skips alike."""
    server = OwnServer(tmp_path_factory.mktemp("own-neo4j"))
    server.start()
    yield server
    server.stop()


def test_wrong_password_names_the_server_and_never_the_password(own_server: OwnServer, tmp_path: Path) -> None:
    wrong = "wrong-password-123"
    config = _neo4j_config(tmp_path / "c", {**own_server.options, "credentials": f"neo4j/{wrong}"})
    result = run_cli(config, "crawl", check=False)
    assert result.returncode != 0
    assert str(own_server.options["uri"]) in result.stderr and "refused user 'neo4j'" in result.stderr
    assert wrong not in result.stderr + result.stdout and OWN_PASSWORD not in result.stderr + result.stdout
    assert "Traceback" not in result.stderr


def test_a_transaction_out_of_memory_is_terminal_and_says_to_write_smaller_batches(
        own_server: OwnServer, caplog: pytest.LogCaptureFixture) -> None:
    big = [ev(1, f"db.wide.t{n:05d}", *(f"db.wide.s{n:05d}_{k}" for k in range(4))) for n in range(4000)]
    caplog.set_level(logging.INFO, logger="neo4j")
    with open_graph_store("neo4j", **own_server.options) as graph:
        with pytest.raises(GraphError, match=r"ran out of memory.*graph\.batch_size") as info:
            graph.apply_events(big)
        assert not isinstance(info.value, TransientGraphError)
        assert OWN_PASSWORD not in str(info.value)
        assert graph.counts().datasets == 0
    assert not [r for r in caplog.records if "will be retried" in r.getMessage()]


def test_a_crawl_after_the_server_went_away_and_came_back_resumes_on_the_same_graph(
        own_server: OwnServer, tmp_path: Path) -> None:
    history = tmp_path / "history.jsonl"
    lines = services.sample_history_path().read_text(encoding="utf-8").splitlines(keepends=True)
    history.write_text("".join(lines[: len(lines) // 2]), encoding="utf-8")
    config = _neo4j_config(tmp_path / "c", own_server.options, history=history)
    run_cli(config, "crawl")
    own_server.stop()
    history.write_text("".join(lines), encoding="utf-8")
    gone = run_cli(config, "crawl", check=False)
    assert gone.returncode != 0
    assert str(own_server.options["uri"]) in gone.stderr and "Traceback" not in gone.stderr
    assert OWN_PASSWORD not in gone.stderr + gone.stdout
    own_server.start()
    config = _neo4j_config(tmp_path / "c", own_server.options, history=history)  # the port may change
    run_cli(config, "crawl")
    assert _edges(config) == _embedded_edges(tmp_path / "reference")
