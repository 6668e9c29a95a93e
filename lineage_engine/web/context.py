"""What a web handler reads: the app's settings, its registry, a read-only graph.

Handlers take these as FastAPI dependencies (``Depends(registry_of)``), so every router
(:mod:`lineage_engine.web.routers`) reads the same stores the same way: the registry opened
once per app, read-only (a pool; the OpenLineage endpoint alone writes, through its own
:func:`writable_registry_of`), the graph opened read-only per request (the embedded
engine then sees everything committed up to that moment, never half a batch, README "Crawl").
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from fastapi import Request

if TYPE_CHECKING:
    from lineage_engine.graph.store import GraphStore
    from lineage_engine.settings import Settings


def settings_of(request: Request) -> Settings:
    """Return the settings the app was created with."""
    return request.app.state.settings  # type: ignore[no-any-return]


def registry_of(request: Request) -> Any:
    """Return the app's :class:`~lineage_engine.registry.Registry` (opened on first use, read only)."""
    state = request.app.state
    if state.registry is None:
        from lineage_engine.registry.repository import Registry

        state.registry = Registry(state.settings.registry_url, read_only=True)  # never creates the file
    return state.registry


def writable_registry_of(request: Request) -> Any:
    """Return the app's registry for the one handler that stores what it receives (the OpenLineage
    endpoint, ``openlineage_events``): opened on first use, writable. A SQLite registry that does
    not exist is not created (``RegistryNotFoundError``: answered 503, naming ``migrate``), as a
    read would not. Every other handler reads through :func:`registry_of`."""
    state = request.app.state
    if getattr(state, "writable_registry", None) is None:
        from lineage_engine.registry.repository import Registry

        Registry(state.settings.registry_url, read_only=True).close()  # raises when the file is missing
        state.writable_registry = Registry(state.settings.registry_url)
    return state.writable_registry


def graph_of(request: Request) -> Iterator[GraphStore]:
    """Yield the graph opened read-only for one request; closed after the response.

    Raises:
        GraphError: the graph could not be opened (answered 503 by the app).
    """
    from lineage_engine.services import graph_store

    with graph_store(settings_of(request), read_only=True) as store:
        yield store
