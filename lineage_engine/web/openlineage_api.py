"""``POST /api/v1/lineage``: OpenLineage run events in (issue 16 §2, §4), a router of ``lineage-engine serve``.

The path Marquez uses, so a producer (Airflow, Spark, Flink, dbt's OpenLineage integration,
``openlineage-python``'s HTTP transport) only changes its URL. One ``RunEvent`` per request
body (JSON):

- **201** ``{"stored": 1, "replayed": 0}``: the event passed the spec's checks and is stored in
  the registry (``openlineage_events``) before the answer; a replay of a stored event answers
  201 with ``{"stored": 0, "replayed": 1}`` and stores nothing.
- **400** ``{"error": ..., "path": "$.run.runId"}``: not JSON, not a RunEvent, or breaking the
  spec; ``path`` is the JSON path of the first error. Nothing is stored.
- **413**: a body over :data:`MAX_BODY_BYTES`. **503**: the registry cannot be written now
  (the producer retries; nothing is stored).

The graph is not written here: the crawl (``lineage-engine crawl`` or the service's crawl job,
one writer per graph) merges stored events (:mod:`lineage_engine.sources.openlineage`). The
app's token rule applies: bound beyond loopback, requests carry ``Authorization: Bearer TOKEN``
(``openlineage-python``: ``auth: {type: api_key, apiKey: TOKEN}``).
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from lineage_engine.web.context import writable_registry_of

MAX_BODY_BYTES = 8 * 1024 * 1024
"""Largest request body accepted (a run event with column lineage of a few thousand columns fits)."""

router = APIRouter()


@router.post("/api/v1/lineage", status_code=201, tags=["openlineage"],
             summary="Receive one OpenLineage RunEvent (stored, merged by the next crawl)")
async def receive_run_event(request: Request, registry: Any = Depends(writable_registry_of)) -> JSONResponse:  # noqa: B008
    """Check one run event against the spec, store it durably, answer 201 (see the module docstring)."""
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        return JSONResponse({"error": f"the body is over {MAX_BODY_BYTES} bytes; send one RunEvent per request",
                             "path": "$"}, status_code=413)
    try:
        document = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        reason = exc.msg if isinstance(exc, json.JSONDecodeError) else "not UTF-8"
        return JSONResponse({"error": f"the body is not JSON ({reason})", "path": "$"}, status_code=400)
    from starlette.concurrency import run_in_threadpool

    from lineage_engine.errors import RegistryError
    from lineage_engine.openlineage.validate import EventError
    from lineage_engine.sources.openlineage import receive_events

    try:
        report = await run_in_threadpool(receive_events, registry, [document])
    except EventError as exc:
        return JSONResponse({"error": f"not a valid OpenLineage RunEvent: {exc.reason}", "path": exc.path},
                            status_code=400)
    except RegistryError as exc:
        return JSONResponse({"error": f"the event could not be stored now ({type(exc).__name__}); retry"},
                            status_code=503)
    return JSONResponse({"stored": report.stored, "replayed": report.replayed}, status_code=201)
