"""The routers ``create_app`` mounts, in order: add yours here (one line), never edit the app.

Each entry is ``"module:attribute"`` naming a :class:`fastapi.APIRouter`; the module is imported
when the app is created (never on ``lineage-engine --help``). A router gets the app's settings,
registry and graph through :mod:`lineage_engine.web.context`, and the token rule of
:mod:`lineage_engine.web.auth` applies to it like to every route. Paths under ``/api/`` are the
JSON API (listed in ``/api/openapi.json``); pages are HTML outside ``/api/``.
"""

from __future__ import annotations

ROUTERS: list[str] = [
    "lineage_engine.web.api:router",
    "lineage_engine.web.pages:router",
    "lineage_engine.web.openlineage_api:router",  # issue 16: POST /api/v1/lineage, OpenLineage run events in
]
"""Routers mounted by :func:`lineage_engine.web.app.create_app`, in this order."""
