"""Fixtures shared by every test folder: the Neo4j test server (issue 12), a crawled sample.

The crawled sample (:func:`crawled_sample`) is built ONCE per test session by the installed
``lineage-engine demo`` (migrate, import, crawl, scan of the bundled sample) and copied per
test (:func:`sample_copy`): a test that needs "an installation with the sample crawled" pays a
file copy, not a crawl. Read it in place only with commands that write nothing.

The Neo4j tests run on a real Neo4j 5 server named by ``NEO4J_URI`` (with ``NEO4J_AUTH`` as
``user/password`` or ``none``, and optionally ``NEO4J_DATABASE``). ``.ci/neo4j.sh`` starts
a Neo4j Community test server without Docker and prints those variables::

    eval "$(bash .ci/neo4j.sh)"     # then run pytest; `bash .ci/neo4j.sh stop` stops it

``.ci/run`` does this before the tests. Without ``NEO4J_URI`` the Neo4j cases skip with
:data:`NEO4J_UNAVAILABLE`, except with ``CI=true``, where a missing or unreachable server fails
them: CI must never pass with the Neo4j backend untested.

Sharing one server: Neo4j Community has one user database, so the tests EMPTY it. Every test
that uses :func:`neo4j_graph` holds an exclusive lock (a file lock named after the server's
host and port, under the temporary folder) for its whole duration and empties the graph
first, so several pytest runs on one machine can share one server: their Neo4j tests take
turns. Never point ``NEO4J_URI`` at a database whose data you keep.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

NEO4J_UNAVAILABLE = (
    "Neo4j backend not tested: NEO4J_URI is not set; start the test server with "
    "`eval \"$(bash .ci/neo4j.sh)\"` (or point NEO4J_URI and NEO4J_AUTH=user/password at a Neo4j 5 "
    "server whose data may be deleted)"
)
_BASE_SCHEMA = {"dataset_id", "column_id", "derives_from_valid_from", "derives_from_valid_to", "lineage_write_lock"}


PYCACHE_PREFIX = Path(tempfile.gettempdir()) / f"lineage-engine-tests-pycache-{os.getuid()}"
"""Where the ``lineage-engine`` subprocesses of the tests cache their bytecode (see :func:`pytest_configure`)."""


def pytest_configure(config: pytest.Config) -> None:
    """Let the commands the tests run cache their bytecode, outside the source tree.

    With ``PYTHONDONTWRITEBYTECODE`` set (some machines and CI images set it), every
    ``lineage-engine`` subprocess compiled the package's ~70 modules from source again:
    about 0.15 s of CPU per call, on ~2,000 calls. The subprocesses get
    ``PYTHONPYCACHEPREFIX`` (a folder under the temporary directory) instead, so nothing is
    written next to the sources, as the variable intends. Python checks each cached file
    against its source's size and modification time, so an edited module is compiled again.
    """
    if os.environ.get("PYTHONDONTWRITEBYTECODE") and not os.environ.get("PYTHONPYCACHEPREFIX"):
        os.environ.pop("PYTHONDONTWRITEBYTECODE")
        os.environ["PYTHONPYCACHEPREFIX"] = str(PYCACHE_PREFIX)


SLOW_FILES: dict[str, float] = {
    # whole workloads, one or two tests each (xdist's default order ran these last)
    "tests/service/test_run_acceptance.py": 150, "tests/service/test_run_acceptance_sigkill.py": 120,
    "tests/test_solana_workload.py": 90, "tests/test_crawl_memory_bounds.py": 80,
    "tests/parsing/test_workload.py": 60, "tests/test_replay_skips_known_reads.py": 50,
    "tests/service/test_replicas.py": 50, "tests/service/test_replicas_web.py": 30,
    "tests/openlineage/test_endpoint.py": 30, "tests/test_late_events_cli.py": 51,
    "tests/alerts/test_drift_alerts.py": 25, "tests/test_observations_both_graphs_cli.py": 20,
    # many CLI calls or a costly module set-up
    "tests/test_cli_smoke.py": 110, "tests/access/test_egress_findings_cli.py": 110,
    "tests/sources/test_dbt_source.py": 100, "tests/test_traces_agree_with_scan.py": 100,
    "tests/graph/test_neo4j_server.py": 150, "tests/access/test_review_cli.py": 80,
    "tests/graph/test_embedded.py": 70, "tests/access/test_access_cli.py": 65, "tests/test_trail_traces.py": 60,
    "tests/registry/test_registry_assets.py": 55, "tests/access/test_grants.py": 50,
    "tests/test_scan_as_of_cli.py": 45, "tests/test_web_browser.py": 45, "tests/test_golden_batch.py": 40,
    "tests/faults/test_bad_rows_cli.py": 120, "tests/test_findings_triage_cli.py": 40,
    "tests/openlineage/test_openlineage_cli.py": 68, "tests/test_scan_explanations_cli.py": 30,
    "tests/contract/test_graph_store.py": 60, "tests/contract/test_graph_store_columns.py": 60,
    "tests/faults/test_huge_statements_cli.py": 25,
    # the CI baseline of c3bba19 (--durations=120, summed per file, /5.5 for its load): lower bounds
    "tests/review/test_late_add_before_move_cli.py": 79, "tests/review/test_policy_moves_cli.py": 58,
    "tests/test_policy_history_cli.py": 56, "tests/review/test_open_defects_cli.py": 55,
    "tests/test_transform_findings_cli.py": 49, "tests/review/test_late_policy_cli.py": 48,
    "tests/review/test_temp_created_late_cli.py": 36, "tests/test_replay_stored_parses_cli.py": 33,
    "tests/test_tag_masking_cli.py": 30, "tests/test_cli_pipeline.py": 22, "tests/test_parse_workers.py": 20,
    "tests/test_crawl_state_incremental.py": 20,
}
"""Rough seconds per test file on an idle machine: the slowest files, handed out first by
:func:`pytest_collection_modifyitems`. Used when the pytest cache holds no measured figures
(a fresh clone, as in CI); figures measured by an earlier run in this checkout take precedence
(:data:`_FILE_SECONDS_KEY`). Rough is enough: only the order matters. A file that grew slow
belongs here; a file not listed runs after these, in collection order."""

_FILE_SECONDS_KEY = "lineage-engine/file-seconds"
_FILE_SECONDS: dict[str, float] = {}


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    """Run the slowest files first, so that the two xdist workers finish together.

    ``--dist loadfile`` hands out whole files in collection order (``--no-loadscope-reorder`` in
    pyproject.toml). xdist's default order, most tests first, put the whole-workload and long CLI
    files, with one to five tests each, at the end, where one worker ran them while the other
    had nothing left. Longest first is the classic greedy schedule: the last file handed out is
    a short one. Every worker computes the same order (same cache file, same table).
    """
    cache = getattr(config, "cache", None)  # None with -p no:cacheprovider
    measured = cache.get(_FILE_SECONDS_KEY, {}) if cache is not None else {}
    seconds = {**SLOW_FILES, **measured} if isinstance(measured, dict) else dict(SLOW_FILES)
    rank: dict[str, tuple[float, int]] = {}
    for n, item in enumerate(items):
        path = item.nodeid.split("::", 1)[0]
        rank.setdefault(path, (-float(seconds.get(path, 0.0)), n))
    items.sort(key=lambda item: rank[item.nodeid.split("::", 1)[0]])


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Remember how long each file took (setup + call + teardown), for the next run's order."""
    config = session.config
    cache = getattr(config, "cache", None)
    if hasattr(config, "workerinput") or cache is None or not _FILE_SECONDS:
        return
    measured = cache.get(_FILE_SECONDS_KEY, {})
    merged = {**(measured if isinstance(measured, dict) else {}),
              **{path: round(total, 1) for path, total in _FILE_SECONDS.items()}}
    cache.set(_FILE_SECONDS_KEY, merged)


def in_ci() -> bool:
    """True when ``CI`` is set to a true value (``.ci/run`` runs with ``CI=true``)."""
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def neo4j_missing(reason: str) -> None:
    """Skip the test for ``reason``, or fail it under ``CI=true``."""
    if in_ci():
        pytest.fail(f"CI=true and {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def neo4j_server() -> dict[str, object]:
    """``open_graph_store("neo4j", **options)`` options of the test server (see module doc).

    Skips (fails with ``CI=true``) without ``NEO4J_URI``; fails when the server named does not
    answer (setting ``NEO4J_URI`` is an explicit request).
    """
    uri = os.environ.get("NEO4J_URI")
    if not uri:
        neo4j_missing(NEO4J_UNAVAILABLE)
    options: dict[str, object] = {"uri": uri, "credentials": os.environ.get("NEO4J_AUTH") or "none",
                                  "database": os.environ.get("NEO4J_DATABASE") or None}
    from lineage_engine.graph.store import open_graph_store

    try:
        open_graph_store("neo4j", migrate=False, **options).close()
    except Exception as exc:  # noqa: BLE001 - any failure here means "no usable server"
        pytest.fail(f"NEO4J_URI is set but the server does not answer: {exc}", pytrace=False)
    return options


@dataclass
class Neo4jGraph:
    """The test's turn on the shared server: ``options`` to open stores, ``empty()`` to start over."""

    options: dict[str, object]
    emptied: int = field(default=0)

    def driver(self):  # type: ignore[no-untyped-def]
        """A plain driver for checks the GraphStore API does not offer (close it)."""
        import neo4j

        from lineage_engine.graph.neo4j import parse_credentials

        creds = parse_credentials(self.options.get("credentials"))
        auth = None if creds is None else (creds.user, creds.password)
        return neo4j.GraphDatabase.driver(str(self.options["uri"]), auth=auth, notifications_min_severity="OFF")

    def run(self, query: str, **params: object) -> list[dict[str, object]]:
        """Run one auto-commit statement on the test database; return its rows as dicts."""
        with self.driver() as driver, driver.session(database=self.options.get("database")) as session:  # type: ignore[arg-type]
            return [record.data() for record in session.run(query, params)]  # type: ignore[arg-type]

    def empty(self) -> None:
        """Delete every node and relationship, and every constraint or index that the
        backend's own schema does not create (``graph.indexes`` of an earlier test)."""
        with self.driver() as driver, driver.session(database=self.options.get("database")) as session:  # type: ignore[arg-type]
            session.run("MATCH (n) CALL { WITH n DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS").consume()
            for record in session.run("SHOW CONSTRAINTS YIELD name"):
                if record["name"] not in _BASE_SCHEMA:
                    session.run(f"DROP CONSTRAINT `{record['name']}` IF EXISTS").consume()
            for record in session.run("SHOW INDEXES YIELD name, type, owningConstraint"):
                if record["type"] != "LOOKUP" and record["owningConstraint"] is None and record["name"] not in _BASE_SCHEMA:
                    session.run(f"DROP INDEX `{record['name']}` IF EXISTS").consume()
        self.emptied += 1


def _lock_path(uri: str) -> Path:
    where = re.sub(r"[^A-Za-z0-9.]+", "_", uri.split("://", 1)[-1])
    return Path(tempfile.gettempdir()) / f"lineage-neo4j-tests-{where}.lock"


@pytest.fixture
def neo4j_graph(neo4j_server: dict[str, object]) -> Iterator[Neo4jGraph]:
    """The test's own, empty Neo4j graph: holds the server's test lock for the whole test."""
    with open(_lock_path(str(neo4j_server["uri"])), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another pytest run's Neo4j test may hold it: wait our turn
        try:
            graph = Neo4jGraph(dict(neo4j_server))
            graph.empty()
            yield graph
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


_RAN_ON_NEO4J: dict[str, int] = {}
_NEO4J_PROPERTY = "ran_on_neo4j"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Mark the reports of tests that ran on a Neo4j server (used ``neo4j_server``, even through
    another fixture); the mark travels with the report (also from a pytest-xdist worker)."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if report.when != "call":
        return
    request = getattr(item, "_request", None)
    used = set(getattr(item, "fixturenames", ())) | set(getattr(request, "_fixture_defs", {}) or {})
    if "neo4j_server" in used:
        report.user_properties.append((_NEO4J_PROPERTY, True))


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Count the tests that ran on the Neo4j server (in the process that prints the summary);
    add up each file's time (:func:`pytest_sessionfinish`)."""
    path = report.nodeid.split("::", 1)[0]
    _FILE_SECONDS[path] = _FILE_SECONDS.get(path, 0.0) + float(report.duration or 0.0)
    if report.when == "call" and any(prop[0] == _NEO4J_PROPERTY for prop in report.user_properties):
        _RAN_ON_NEO4J[report.outcome] = _RAN_ON_NEO4J.get(report.outcome, 0) + 1


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """One line: how many tests ran on the Neo4j server (the issue 12 count)."""
    if _RAN_ON_NEO4J:
        counts = ", ".join(f"{n} {outcome}" for outcome, n in sorted(_RAN_ON_NEO4J.items()))
        terminalreporter.write_line(f"Neo4j: tests that ran on the Neo4j server at {os.environ.get('NEO4J_URI')}: {counts}")


@pytest.fixture(params=("embedded", "neo4j"))
def graph_backend(request: pytest.FixtureRequest) -> str:
    """A test that takes this runs on both graph backends; ``neo4j`` needs the test server."""
    if request.param == "neo4j":
        request.getfixturevalue("neo4j_server")
    return request.param


@pytest.fixture
def graph_config(graph_backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, object]:
    """The ``graph:`` section of a config for the backend under test: an embedded folder in
    ``tmp_path``, or the Neo4j test server (emptied, and locked for this test)."""
    if graph_backend == "embedded":
        return {"type": "embedded", "path": str(tmp_path / "graph")}
    options = request.getfixturevalue("neo4j_graph").options
    config: dict[str, object] = {"type": "neo4j", "uri": options["uri"], "credentials": options["credentials"]}
    if options.get("database"):
        config["database"] = options["database"]
    return config


@pytest.fixture
def graph_store(graph_config: dict[str, object]) -> Iterator[object]:
    """A fresh, migrated, writable store of the backend under test (see :func:`graph_config`)."""
    from lineage_engine.graph.store import open_graph_store

    options = dict(graph_config)
    kind = str(options.pop("type"))
    if kind == "embedded":
        store = open_graph_store(kind, path=Path(str(options["path"])))
    else:
        store = open_graph_store(kind, **options)
    try:
        yield store
    finally:
        store.close()


@pytest.fixture(scope="session", autouse=True)
def _installation_templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Give :func:`tests.cli_setup.imported_template` a folder for this session (per xdist worker)."""
    from tests import cli_setup

    cli_setup.TEMPLATES = tmp_path_factory.mktemp("templates")
    try:
        yield
    finally:
        cli_setup.TEMPLATES = None
        cli_setup._TEMPLATE_OF.clear()


@pytest.fixture(scope="session")
def crawled_sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Config of an installation where ``lineage-engine demo`` ran on the bundled sample (built
    once per session; embedded graph and SQLite under the config's folder, relative paths).

    Shared by every test that takes it: never write to it (use :func:`sample_copy`).
    """
    from tests.cli_setup import sample_installation

    return sample_installation(tmp_path_factory.mktemp("crawled-sample"))


@pytest.fixture
def sample_copy(crawled_sample: Path, tmp_path: Path) -> Path:
    """Config of this test's own copy of :func:`crawled_sample` (in ``tmp_path / "sample"``): write freely."""
    folder = tmp_path / "sample"
    shutil.copytree(crawled_sample.parent, folder)
    return folder / crawled_sample.name
