"""Fixtures for the GraphStore contract suite: one fresh, migrated store per test, per backend.

Backends (design §3: each one a real engine, none a mock):

- ``embedded``: always; a LadybugDB file under ``tmp_path``.
- ``neo4j``: the Neo4j test server (``tests/conftest.py``: ``NEO4J_URI``, started by
  ``eval "$(bash .ci/neo4j.sh)"``; skipped without it, failed without it under ``CI=true``).
- ``neo4j-batched``: the same server with ``graph.batch_size: 2`` (every write is several
  ``UNWIND`` chunks in one transaction) and a few ``graph.indexes``.

A test's Neo4j graph "lives" in its ``tmp_path`` like the embedded file does: the test holds
the server's lock and starts on an empty database, and the next open after the test deleted
the files in ``tmp_path`` (how a test asks for a fresh graph) empties it again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from lineage_engine.graph.store import GraphStore, open_graph_store

BACKENDS = ("embedded", "neo4j", "neo4j-batched")
BATCHED = {"batch_size": 2, "indexes": ("last_seen", "valid_to", "Column.classification", "DERIVES_FROM.kind")}
"""Options of the ``neo4j-batched`` backend: tiny ``UNWIND`` chunks and extra indexes."""

StoreFactory = Callable[..., GraphStore]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The backend under test; the Neo4j ones need the test server (see tests/conftest.py)."""
    if request.param.startswith("neo4j"):
        request.getfixturevalue("neo4j_server")
    return request.param


@pytest.fixture
def open_store(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreFactory]:
    """Return ``open_store(read_only=False)``: the test's graph (same one on every call)."""
    opened: list[GraphStore] = []

    def factory(*, read_only: bool = False) -> GraphStore:
        if backend == "embedded":
            store = open_graph_store("embedded", path=tmp_path / "graph.lbug", read_only=read_only)
        else:
            graph = request.getfixturevalue("neo4j_graph")
            marker = tmp_path / "neo4j-graph"
            if not marker.exists():  # neo4j_graph empties it first; later: the test deleted its files
                if any(s.backend == "neo4j" for s in opened):
                    graph.empty()
                marker.touch()
            extra = BATCHED if backend == "neo4j-batched" else {}
            store = open_graph_store("neo4j", read_only=read_only, **graph.options, **extra)
        opened.append(store)
        return store

    yield factory
    for store in reversed(opened):
        store.close()


@pytest.fixture
def store(open_store: StoreFactory) -> GraphStore:
    """A fresh, migrated, writable graph store."""
    return open_store()
