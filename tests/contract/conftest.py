"""Fixtures for the GraphStore contract suite: one fresh, migrated store per test, per backend.

Backends:

- ``embedded``: always; a LadybugDB file under ``tmp_path``.
- ``neo4j``: skipped until ``lineage_engine/graph/neo4j.py`` exists (issue 4). Once it
  does, it runs against ``NEO4J_URI`` (``NEO4J_USER`` / ``NEO4J_PASSWORD``, database
  emptied before each test) or a throw-away ``neo4j:5`` container when a Docker engine is
  reachable (testcontainers), and is skipped with that reason otherwise; under ``CI`` with
  ``NEO4J_URI`` set, an unavailable backend fails instead of skipping.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from lineage_engine.graph.store import GraphStore, open_graph_store

BACKENDS = ("embedded", "neo4j")
NEO4J_NOT_IMPLEMENTED = "Neo4j backend not implemented yet (issue 4)"
NEO4J_UNAVAILABLE = "no Neo4j: set NEO4J_URI (and NEO4J_USER/NEO4J_PASSWORD) or start a Docker engine"

StoreFactory = Callable[..., GraphStore]


def _docker_reachable() -> bool:
    if os.environ.get("DOCKER_HOST"):
        return True
    return Path("/var/run/docker.sock").exists() and shutil.which("docker") is not None


def _neo4j_options(request: pytest.FixtureRequest) -> dict[str, object]:
    """Return open_graph_store options for a reachable Neo4j, or skip with the reason."""
    if importlib.util.find_spec("lineage_engine.graph.neo4j") is None:
        pytest.skip(NEO4J_NOT_IMPLEMENTED)
    uri = os.environ.get("NEO4J_URI")
    if uri:
        return {"uri": uri, "credentials": f"{os.environ.get('NEO4J_USER', 'neo4j')}:{os.environ.get('NEO4J_PASSWORD', '')}"}
    if not _docker_reachable():
        pytest.skip(NEO4J_UNAVAILABLE)
    container = request.getfixturevalue("neo4j_container")
    return {"uri": container.get_connection_url(), "credentials": "neo4j:password"}


@pytest.fixture(scope="session")
def neo4j_container() -> Iterator[object]:
    """A Neo4j 5 container for the session (only requested when Docker is reachable)."""
    testcontainers = pytest.importorskip("testcontainers.neo4j", reason="pip install testcontainers[neo4j]")
    with testcontainers.Neo4jContainer("neo4j:5", password="password") as container:
        yield container


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The backend under test; the ``neo4j`` case skips with its reason when unavailable."""
    if request.param == "neo4j":
        request.node.neo4j_options = _neo4j_options(request)
    return request.param


@pytest.fixture
def open_store(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreFactory]:
    """Return ``open_store(read_only=False)``: the test's graph (same one on every call)."""
    opened: list[GraphStore] = []

    def factory(*, read_only: bool = False) -> GraphStore:
        if backend == "embedded":
            store = open_graph_store("embedded", path=tmp_path / "graph.lbug", read_only=read_only)
        else:
            store = open_graph_store("neo4j", read_only=read_only, **request.node.neo4j_options)
        opened.append(store)
        return store

    yield factory
    for store in reversed(opened):
        store.close()


@pytest.fixture
def store(open_store: StoreFactory) -> GraphStore:
    """A fresh, migrated, writable graph store."""
    graph = open_store()
    if graph.backend == "neo4j":  # a shared server: start from an empty database
        graph._execute("MATCH (n) DETACH DELETE n", {})  # type: ignore[attr-defined]
    return graph
