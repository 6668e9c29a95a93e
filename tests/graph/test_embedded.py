"""Embedded (LadybugDB) specifics: opening, concurrency between processes, value conversion,
TRAIL semantics, read-only traces, and open_graph_store errors."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import warnings
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from lineage_engine.errors import ConfigError, GraphError, TransientGraphError
from lineage_engine.graph import cypher_store
from lineage_engine.graph.embedded import EmbeddedGraphStore
from lineage_engine.graph.migrate import DATASET_PROPERTIES
from lineage_engine.graph.store import GraphStore, open_graph_store
from lineage_engine.model import DatasetRef, LineageEvent, Operation, SavedTrace
from lineage_engine.traces import coerce_params, load_trace
from tests.waiting import HANG_SECONDS

ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2024, 3, 1, tzinfo=UTC)


def insert(hours: float, target: str, *sources: str) -> LineageEvent:
    return LineageEvent(T0 + timedelta(hours=hours), f"q{hours}", "INSERT", Operation.INSERT,
                        DatasetRef(target, target), tuple(DatasetRef(s, s) for s in sources))


@pytest.fixture
def store(tmp_path: Path) -> GraphStore:
    graph = open_graph_store("embedded", path=tmp_path / "g.lbug")
    yield graph
    graph.close()


# -- another process holds the file -------------------------------------------------------------

WRITER = textwrap.dedent("""
    import sys
    from datetime import UTC, datetime, timedelta
    from pathlib import Path
    from lineage_engine.graph.store import open_graph_store
    from lineage_engine.model import DatasetRef, LineageEvent, Operation
    store = open_graph_store("embedded", path=Path(sys.argv[1]))
    t0 = datetime(2024, 1, 1, tzinfo=UTC)
    store.apply_events([LineageEvent(t0, "q", "INSERT", Operation.INSERT, DatasetRef("d.s.b", "b"),
                                     (DatasetRef("d.s.a", "a"),))])
    print("ready", flush=True)
    sys.stdin.readline()
    store.close()
""")


def _spawn(script: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", script, *args], cwd=ROOT, text=True,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={"PYTHONPATH": str(ROOT), "PATH": ""})


@pytest.fixture
def writer(tmp_path: Path) -> subprocess.Popen[str]:
    """A separate process holding ``tmp_path/g.lbug`` open read-write, one edge committed."""
    process = _spawn(WRITER, str(tmp_path / "g.lbug"))
    assert process.stdout is not None
    line = process.stdout.readline()
    assert line.strip() == "ready", process.stderr.read() if process.stderr else line
    yield process
    process.communicate("\n", timeout=HANG_SECONDS)


def test_second_writer_gets_a_transient_error_naming_the_holder(tmp_path: Path, writer: subprocess.Popen[str]) -> None:
    with pytest.raises(TransientGraphError, match=rf"open for writing by another process \(PID {writer.pid}\)"):
        open_graph_store("embedded", path=tmp_path / "g.lbug")


def test_reader_runs_traces_while_a_writer_holds_the_file(tmp_path: Path, writer: subprocess.Popen[str]) -> None:
    reader = open_graph_store("embedded", path=tmp_path / "g.lbug", read_only=True)
    try:
        assert reader.counts().dataset_edges == 1
        trace = load_trace("upstream_of")
        rows = reader.run_trace(trace, coerce_params(trace, {"dataset": "d.s.b"}))
        assert [r["dataset"] for r in rows] == ["d.s.a"]
        with pytest.raises(GraphError, match="opened read-only"):
            reader.apply_events([insert(1, "d.s.c", "d.s.b")])
    finally:
        reader.close()


READER_LOOP = textwrap.dedent("""
    import json, sys, time
    from pathlib import Path
    from lineage_engine.errors import TransientGraphError
    from lineage_engine.graph.store import open_graph_store
    ok = transient = inconsistent = 0
    end = time.time() + float(sys.argv[2])
    while time.time() < end:
        try:
            store = open_graph_store("embedded", path=Path(sys.argv[1]), read_only=True)
        except TransientGraphError:
            transient += 1
            continue
        try:
            c = store.counts()
            ok += 1
            inconsistent += c.dataset_edges % 50 != 0 or c.datasets != c.dataset_edges + c.dataset_edges // 50
        except TransientGraphError:
            transient += 1
        finally:
            store.close()
    print(json.dumps({"ok": ok, "transient": transient, "inconsistent": inconsistent}))
""")
WRITER_LOOP = textwrap.dedent("""
    import sys, time
    from datetime import UTC, datetime, timedelta
    from pathlib import Path
    from lineage_engine.graph.store import open_graph_store
    from lineage_engine.model import DatasetRef, LineageEvent, Operation
    store = open_graph_store("embedded", path=Path(sys.argv[1]))
    t0, i = datetime(2024, 1, 1, tzinfo=UTC), 0
    print("ready", flush=True)
    end = time.time() + float(sys.argv[2])
    while time.time() < end:  # each batch: 50 new edges from one new upstream, atomically
        up = DatasetRef(f"d.s.u{i}", "u")
        store.apply_events([LineageEvent(t0 + timedelta(seconds=i), f"q{i}", "INSERT", Operation.INSERT,
                                         DatasetRef(f"d.s.t{i}_{k}", "t"), (up,)) for k in range(50)])
        i += 1
    store.close()
    print(i, flush=True)
""")


@pytest.mark.slow
def test_readers_see_whole_batches_while_a_writer_commits(tmp_path: Path) -> None:
    path = str(tmp_path / "g.lbug")
    writer = _spawn(WRITER_LOOP, path, "6")
    assert writer.stdout is not None and writer.stdout.readline().strip() == "ready"
    # Readers run in their own process: LadybugDB 0.22 can crash a read-only open that races a
    # checkpoint (upstream issues #666, #766, #1007; documented in the README). A crashed reader is
    # restarted (at most twice) and reported as a warning; what we assert is our own claim: every
    # read that completes sees whole batches, and a reader does complete.
    results, crashes = [], []
    for _ in range(3):
        reader = _spawn(READER_LOOP, path, "4")
        out, err = reader.communicate(timeout=HANG_SECONDS)
        if reader.returncode == 0:
            results.append(json.loads(out))
            break
        crashes.append((reader.returncode, err[-500:]))
    writer.communicate(timeout=HANG_SECONDS)
    if crashes:
        warnings.warn(f"embedded reader crashed {len(crashes)} time(s) during concurrent writes: {crashes}")
    assert results, f"every reader attempt crashed: {crashes}"
    assert results[0]["inconsistent"] == 0, results[0]
    assert results[0]["ok"] > 0, results[0]


def test_read_only_open_of_a_missing_file_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(GraphError, match="no embedded graph at .*run a crawl first"):
        open_graph_store("embedded", path=tmp_path / "none.lbug", read_only=True)
    assert not (tmp_path / "none.lbug").exists()


# -- conversion, semantics -----------------------------------------------------------------------


def test_path_nodes_hold_only_their_own_properties(store: GraphStore) -> None:
    store.apply_events([insert(1, "d.s.b", "d.s.a")])
    trace = load_trace("upstream_of")
    [row] = store.run_trace(trace, coerce_params(trace, {"dataset": "d.s.b"}))
    for node in row["path"]:  # type: ignore[attr-defined]
        assert set(node) == set(DATASET_PROPERTIES)  # no _ID/_LABEL, no Column-only dataset_id
        assert node["first_seen"].tzinfo is UTC


def test_variable_length_walks_are_trails_on_cycles(store: GraphStore) -> None:
    # a and b feed each other; c reads a. Trails (Neo4j's semantics) never reuse an edge.
    store.apply_events([insert(1, "d.s.a", "d.s.b"), insert(1, "d.s.b", "d.s.a"), insert(1, "d.s.c", "d.s.a")])
    trace = load_trace("unmasked_pii_paths")
    rows = store.run_trace(trace, coerce_params(trace, {"origins": "d.s.a"}))
    assert [(r["terminal"], r["hops"]) for r in rows] == [("d.s.b", 1), ("d.s.c", 1), ("d.s.c", 3)]
    down = load_trace("downstream_of")
    rows = store.run_trace(down, coerce_params(down, {"dataset": "d.s.a"}))
    assert [(r["dataset"], r["hops"]) for r in rows] == [("d.s.b", 1), ("d.s.c", 1)]


def test_reach_traces_give_one_row_per_dataset_with_its_shortest_routes(store: GraphStore) -> None:
    # a diamond: b and c read a; d reads b and c; e reads d and a
    store.apply_events([insert(1, "d.s.b", "d.s.a"), insert(1, "d.s.c", "d.s.a"),
                        insert(1, "d.s.d", "d.s.b", "d.s.c"), insert(1, "d.s.e", "d.s.d", "d.s.a")])
    down = load_trace("downstream_of")
    rows = store.run_trace(down, coerce_params(down, {"dataset": "d.s.a"}))
    assert [(r["dataset"], r["hops"], r["routes"]) for r in rows] == [
        ("d.s.b", 1, 1), ("d.s.c", 1, 1), ("d.s.e", 1, 1), ("d.s.d", 2, 2)]
    assert [n["id"] for n in rows[3]["path"]] in (["d.s.a", "d.s.b", "d.s.d"], ["d.s.a", "d.s.c", "d.s.d"])
    up = load_trace("upstream_of")
    rows = store.run_trace(up, coerce_params(up, {"dataset": "d.s.e"}))
    assert [(r["dataset"], r["hops"], r["routes"]) for r in rows] == [
        ("d.s.a", 1, 1), ("d.s.d", 1, 1), ("d.s.b", 2, 1), ("d.s.c", 2, 1)]


def test_events_with_naive_times_are_refused(store: GraphStore) -> None:
    naive = LineageEvent(datetime(2024, 1, 1), "q1", "INSERT", Operation.INSERT,
                         DatasetRef("d.s.b", "b"), (DatasetRef("d.s.a", "a"),))
    with pytest.raises(GraphError, match="query q1 has a naive 'at'"):
        store.apply_events([naive])
    assert store.counts().datasets == 0


def test_traces_run_read_only(store: GraphStore) -> None:
    write = SavedTrace(name="sneaky", text="MERGE (d:Dataset {id: 'x'}) RETURN d.id AS id")
    with pytest.raises(GraphError, match="trace 'sneaky' holds MERGE, which is not a read"):
        store.run_trace(write, {})
    assert store.counts().datasets == 0


def test_trace_without_its_parameter_fails_instead_of_returning_nothing(store: GraphStore) -> None:
    with pytest.raises(GraphError, match=r"trace 'upstream_of' needs parameter\(s\) \$as_of, \$dataset"):
        store.run_trace(load_trace("upstream_of"), {})


def test_naive_datetimes_are_rejected(store: GraphStore) -> None:
    with pytest.raises(GraphError, match="naive datetime"):
        list(store.iter_edges(datetime(2024, 1, 1)))


def test_migrate_is_idempotent(tmp_path: Path) -> None:
    for _ in range(2):
        with EmbeddedGraphStore(tmp_path / "g.lbug") as graph:
            graph.migrate()
            graph.migrate()
            graph.apply_events([insert(1, "d.s.b", "d.s.a")])
            assert graph.counts().dataset_edges == 1


def test_open_graph_store_names_what_is_wrong(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="graph.uri"):  # the Neo4j backend's own errors: test_neo4j_config.py
        open_graph_store("neo4j")
    with pytest.raises(ConfigError, match="did you mean 'embedded'"):
        open_graph_store("embeded", path=tmp_path / "g.lbug")
    with pytest.raises(ConfigError, match="graph.path"):
        open_graph_store("embedded")


def test_a_reader_meeting_the_wal_mid_commit_gets_a_transient_error(tmp_path: Path, writer: subprocess.Popen[str]) -> None:
    """Issue 11 §4: the message a read-only open gets when the writer rewrites graph.wal under it."""
    reader = open_graph_store("embedded", path=tmp_path / "g.lbug", read_only=True)
    try:
        message = f"IO exception: Cannot read from file: {tmp_path}/g.lbug.wal fd 12 bytes read 0 (expected 4096)"
        assert isinstance(reader._map(RuntimeError(message), opening=True), TransientGraphError)  # type: ignore[attr-defined]
        assert isinstance(reader._map(RuntimeError(message)), TransientGraphError)  # type: ignore[attr-defined]
    finally:
        reader.close()


def test_batch_rows_are_written_from_an_arrow_table_with_the_same_values(tmp_path: Path) -> None:
    """``UNWIND $rows`` statements run as a scan of an Arrow table (issue 13): same values, same nulls;
    a naive datetime is refused as before, a statement using ``r`` itself runs as written."""
    from lineage_engine.graph.embedded import _rows_scan

    at = datetime(2024, 1, 1, 12, 30, 15, 123456, tzinfo=timezone(timedelta(hours=2)))
    rows = [{"id": "d.s.a", "name": None, "kind": "table", "namespace": "d", "first_seen": at, "last_seen": at},
            {"id": "d.s.b", "name": "B", "kind": None, "namespace": "d", "first_seen": at, "last_seen": at}]
    text, params = _rows_scan(cypher_store.SET_DATASETS, {"rows": rows})
    assert text.startswith("LOAD FROM $rows ") and "r." not in text
    with EmbeddedGraphStore(tmp_path / "g") as graph:
        graph.migrate()
        graph._execute(cypher_store.MERGE_DATASETS, {"ids": ["d.s.a", "d.s.b"]})
        graph._execute(cypher_store.SET_DATASETS, {"rows": rows})
        got = graph._execute("MATCH (d:Dataset) RETURN d.id AS id, d.name AS name, d.kind AS kind, "
                             "d.first_seen AS first_seen ORDER BY id", {})
    assert got == [{"id": "d.s.a", "name": None, "kind": "table", "first_seen": at},
                   {"id": "d.s.b", "name": "B", "kind": None, "first_seen": at}]
    with pytest.raises(GraphError, match="naive datetime"):
        _rows_scan(cypher_store.SET_DATASETS, {"rows": [{**rows[0], "first_seen": datetime(2024, 1, 1)}]})
    assert _rows_scan("UNWIND $rows AS r WITH r RETURN r.id", {"rows": rows}) is None


@pytest.mark.parametrize("rows_per_statement", [cypher_store.DATASET_STATEMENT_ROWS, 1])
def test_stored_intervals_written_per_dataset_give_the_same_graph(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                  rows_per_statement: int) -> None:
    """On a large graph the embedded store reads stored intervals with one statement per dataset id and
    writes them (re-observed, closed, moved back by a late event, given more via or a more revealing
    transform) with one statement per dataset and up to DATASET_STATEMENT_ROWS rows (issue 13): the graph
    is the one the statements over chunks of ids and rows give, however a dataset's rows are split."""
    from lineage_engine.model import ColumnLineage

    class PerDataset(EmbeddedGraphStore):  # what the store does on a large graph
        def _writes_by_dataset(self, family: str, datasets: int, rows: int) -> bool:
            return True

        def _reads_per_id(self, query: str, ids: int) -> bool:
            return True

    def event(hours: float, op: Operation, target: str, sources: tuple[str, ...], transform: str = "identity",
              via: tuple[str, ...] = ()) -> LineageEvent:
        columns = tuple(ColumnLineage(f"{s}.{c}", f"{target}.{c}", transform, "DIRECT") for s in sources
                        for c in ("id", "email"))
        return LineageEvent(T0 + timedelta(hours=hours), f"q{hours}", op.value.upper(), op, DatasetRef(target, target),
                            tuple(DatasetRef(s, s) for s in sources), replaces=op is Operation.REPLACE,
                            via=via, columns=columns)

    batches = [
        [event(1, Operation.INSERT, "d.s.t", ("d.s.a",), "hash"), event(1.5, Operation.INSERT, "d.s.u", ("d.s.t",))],
        [event(2, Operation.INSERT, "d.s.t", ("d.s.a",), "hash", via=("d.s.tmp",)),  # re-observed, more via
         event(2.5, Operation.INSERT, "d.s.t", ("d.s.b",))],
        [event(3, Operation.REPLACE, "d.s.t", ("d.s.b",)),  # closes t <- a
         event(0.5, Operation.INSERT, "d.s.u", ("d.s.t",), "identity")],  # late: u <- t starts earlier
        [event(4, Operation.INSERT, "d.s.t", ("d.s.b",)), event(4, Operation.INSERT, "d.s.u", ("d.s.t",))],
        [event(1.2, Operation.INSERT, "d.s.t", ("d.s.a",), "identity")],  # late, more revealing
    ]
    monkeypatch.setattr(cypher_store, "DATASET_STATEMENT_ROWS", rows_per_statement)
    graphs = []
    for kind in (EmbeddedGraphStore, PerDataset):
        with kind(tmp_path / kind.__name__) as graph:
            graph.migrate()
            for batch in batches:
                graph.apply_events(batch)
            graphs.append((list(graph.iter_edges()), list(graph.iter_column_edges())))
    assert graphs[0] == graphs[1]
    assert any(e.valid_to is not None for e in graphs[0][1]) and any(e.via for e in graphs[0][1])
