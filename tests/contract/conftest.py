"""Fixtures for the GraphStore contract suite: one fresh, migrated store per test, per backend.

Backends (design §3: each one a real engine, none a mock):

- ``embedded``: always; a LadybugDB file under ``tmp_path``.
- ``neo4j``: a real Neo4j 5 server, the first of
  1. ``NEO4J_URI`` (with ``NEO4J_AUTH`` as ``user/password``, default ``neo4j/password``, and
     optionally ``NEO4J_DATABASE``): an existing server. Setting it is an explicit request,
     so it wins over Docker, and an unreachable server fails the tests instead of skipping
     them. The tests empty that database: never point it at data you keep.
  2. a reachable Docker engine: one throw-away ``neo4j:5`` container for the session
     (testcontainers, ``bolt://``; a container's advertised address does not survive the
     port mapping, so ``neo4j://`` routing is not exercised this way).
  3. otherwise every ``neo4j`` case skips with one reason, :data:`NEO4J_UNAVAILABLE`.

A test's Neo4j graph "lives" in its ``tmp_path`` like the embedded file does: the first open
in a test empties the database, and so does the next open after the test deleted the files
in ``tmp_path`` (how a test asks for a fresh graph).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from lineage_engine.graph.store import GraphStore, open_graph_store

BACKENDS = ("embedded", "neo4j")
NEO4J_UNAVAILABLE = (
    "Neo4j backend not tested: NEO4J_URI is not set and no Docker engine is reachable for a "
    "neo4j:5 container; set NEO4J_URI (and NEO4J_AUTH=user/password) or start Docker"
)
NEO4J_IMAGE = "neo4j:5"
_CONTAINER_PASSWORD = "lineage-engine-test"  # Neo4j 5 wants at least 8 characters

StoreFactory = Callable[..., GraphStore]


def _docker_reachable() -> bool:
    """Return True when a Docker engine answers a ping within a few seconds."""
    try:
        import docker
    except ImportError:
        return False
    try:
        client = docker.from_env(timeout=5)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception:  # no socket, no permission, engine down: all mean "no Docker here"
        return False


@pytest.fixture(scope="session")
def neo4j_server() -> Iterator[dict[str, object]]:
    """``open_graph_store("neo4j", ...)`` options for a reachable server, or skip (see module doc)."""
    uri = os.environ.get("NEO4J_URI")
    if uri:
        yield {"uri": uri, "credentials": os.environ.get("NEO4J_AUTH", "neo4j/password"),
               "database": os.environ.get("NEO4J_DATABASE") or None}
        return
    if not _docker_reachable():
        pytest.skip(NEO4J_UNAVAILABLE)
    try:
        from testcontainers.community.neo4j import Neo4jContainer
    except ImportError:  # testcontainers before the community/ split
        from testcontainers.neo4j import Neo4jContainer
    with Neo4jContainer(NEO4J_IMAGE, password=_CONTAINER_PASSWORD) as container:
        yield {"uri": container.get_connection_url(), "credentials": f"neo4j/{_CONTAINER_PASSWORD}"}


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The backend under test; ``neo4j`` skips with :data:`NEO4J_UNAVAILABLE` when there is none."""
    if request.param == "neo4j":
        request.getfixturevalue("neo4j_server")
    return request.param


def empty_neo4j(options: dict[str, object]) -> None:
    """Delete every node and relationship of the Neo4j test database (constraints stay)."""
    store = open_graph_store("neo4j", **options)
    try:
        store._execute("MATCH (n) DETACH DELETE n", {})  # type: ignore[attr-defined]
    finally:
        store.close()


@pytest.fixture
def open_store(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreFactory]:
    """Return ``open_store(read_only=False)``: the test's graph (same one on every call)."""
    opened: list[GraphStore] = []

    def factory(*, read_only: bool = False) -> GraphStore:
        if backend == "embedded":
            store = open_graph_store("embedded", path=tmp_path / "graph.lbug", read_only=read_only)
        else:
            options = request.getfixturevalue("neo4j_server")
            marker = tmp_path / "neo4j-graph"
            if not marker.exists():
                empty_neo4j(options)
                marker.touch()
            store = open_graph_store("neo4j", read_only=read_only, **options)
        opened.append(store)
        return store

    yield factory
    for store in reversed(opened):
        store.close()


@pytest.fixture
def store(open_store: StoreFactory) -> GraphStore:
    """A fresh, migrated, writable graph store."""
    return open_store()
