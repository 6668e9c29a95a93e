"""The JSON API of ``lineage-engine serve``: read-only, under ``/api/`` (OpenAPI: ``/api/openapi.json``).

Errors answer ``{"detail": message}``: an unknown id 404 (with the closest ids), a bad
parameter 422, a store that cannot be read 503. No query text and no secret in any answer.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from lineage_engine import __version__
from lineage_engine.report_rows import finding_row
from lineage_engine.web.context import graph_of, registry_of
from lineage_engine.web.queries import DEFAULT_SORT, finding_filters
from lineage_engine.web.views import coverage, dataset_history, finding_view, lineage_view, parse_expand, parse_instant

router = APIRouter(prefix="/api", tags=["api"])

SVG = "image/svg+xml"
API_LIMIT = 1_000
"""Findings one ``/api/findings`` answer holds unless ``limit`` says otherwise."""
MAX_LIMIT = 10_000
"""The largest ``limit`` of ``/api/findings``."""
MAX_OFFSET = 2**62
"""The largest ``offset`` of ``/api/findings`` and the findings page (a database integer)."""

AsOf = Annotated[str | None, Query(description="ISO 8601 instant (a date is midnight UTC; no offset: UTC); "
                                               "default now")]
Up = Annotated[int, Query(description="hops upstream, 0-6")]
Down = Annotated[int, Query(description="hops downstream, 0-6")]
Limit = Annotated[int, Query(description="nodes drawn per layer before the rest collapse into '+N more' (1-200)")]
Expand = Annotated[list[str] | None, Query(description="LAYER:COUNT, show COUNT nodes of a layer (hops from the "
                                                       "focus, negative upstream) instead of 12; repeatable")]


@router.get("/health", summary="Liveness: the server answers")
def health() -> dict[str, Any]:
    """Return ``{"status": "ok", "version": …}`` (no store is read)."""
    return {"status": "ok", "version": __version__}


def finding_statuses() -> tuple[str, ...]:
    """Return the statuses findings are filtered by, as ``findings --status`` takes them (``open``
    includes accepted findings; :data:`~lineage_engine.registry.tables.FINDING_STATUS_FILTERS`)."""
    from lineage_engine.registry.tables import FINDING_STATUS_FILTERS

    return FINDING_STATUS_FILTERS


@router.get("/findings", summary="Findings of the ledger, filtered and sorted, a page at a time")
def list_findings(
    request: Request,
    response: Response,
    registry: Annotated[Any, Depends(registry_of)],
    status: Annotated[str | None, Query(description="open (accepted included) | accepted | resolved, "
                                                                  "as `findings --status`")] = None,
    severity: Annotated[str | None, Query(description="LOW | MEDIUM | HIGH | CRITICAL")] = None,
    origin: Annotated[str | None, Query(description="dataset or column id; a dataset matches its columns")] = None,
    level: Annotated[str | None, Query(description="table | column")] = None,
    sort: Annotated[str, Query(description="severity, opened_at, origin, terminal, status, level, id; "
                                           "'-' in front: descending")] = DEFAULT_SORT,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"findings per page (1-{MAX_LIMIT:,})")] = API_LIMIT,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="findings skipped (the page's start)")] = 0,
) -> list[dict[str, Any]]:
    """Return one page of the findings (path origin first) matching every filter given, sorted.

    ``X-Total-Count`` is the number of findings the filters keep; when more follow, a
    ``Link: <…>; rel="next"`` header (RFC 8288) gives the next page's URL.
    """
    filters = finding_filters(statuses=finding_statuses(), status=status, severity=severity, origin=origin,
                              level=level, sort=sort)
    page = registry.page_findings(**filters, limit=limit, offset=offset)
    response.headers["X-Total-Count"] = str(page.matching)
    if offset + len(page.findings) < page.matching:
        following = request.url.include_query_params(offset=offset + limit, limit=limit)
        response.headers["Link"] = f'<{following}>; rel="next"'
    return [finding_row(f) for f in page.findings]


@router.get("/findings/{finding_id}", summary="One finding, with each hop's transform and query id")
def get_finding(finding_id: int, registry: Annotated[Any, Depends(registry_of)],
                store: Annotated[Any, Depends(graph_of)]) -> dict[str, Any]:
    """Return one finding by id with ``edges`` (hops origin first); 404 naming the closest ids."""
    view = finding_view(registry, store, finding_id)
    return {**view.row, "edges": view.hops}


@router.get("/findings/{finding_id}/picture.svg", summary="One finding's path as SVG",
            response_class=Response, responses={200: {"content": {SVG: {}}}})
def finding_picture(finding_id: int, registry: Annotated[Any, Depends(registry_of)],
                    store: Annotated[Any, Depends(graph_of)]) -> Response:
    """Return the path picture of one finding (origin left, each hop labelled)."""
    return Response(finding_view(registry, store, finding_id).svg, media_type=SVG)


@router.get("/lineage", summary="Lineage around a dataset or column, N hops, as of an instant")
def lineage(store: Annotated[Any, Depends(graph_of)], id: Annotated[str, Query(description="dataset or column id")],  # noqa: A002
            up: Up = 1, down: Down = 2, as_of: AsOf = None, expand: Expand = None, limit: Limit = 12) -> dict[str, Any]:
    """Return the drawn neighbourhood: nodes (layer, role, hidden count of a "+N more" node) and edges."""
    view = lineage_view(store, id, up=up, down=down, as_of=parse_instant(as_of), expand=parse_expand(expand),
                        limit=limit)
    return {"id": view.id, "level": view.level, "as_of": view.as_of.isoformat(), "up": view.up, "down": view.down,
            "nodes": [{"id": n.id, "layer": n.layer, "role": n.role, "hidden": n.hidden} for n in view.picture.nodes],
            "edges": view.edges, "notes": list(view.picture.notes)}


@router.get("/lineage.svg", summary="Lineage around a dataset or column as SVG", response_class=Response,
            responses={200: {"content": {SVG: {}}}})
def lineage_svg(store: Annotated[Any, Depends(graph_of)], id: Annotated[str, Query(description="dataset or column id")],  # noqa: A002
                up: Up = 1, down: Down = 2, as_of: AsOf = None, expand: Expand = None, limit: Limit = 12) -> Response:
    """Return the neighbourhood picture (the same as the lineage page draws)."""
    view = lineage_view(store, id, up=up, down=down, as_of=parse_instant(as_of), expand=parse_expand(expand),
                        limit=limit)
    return Response(view.svg, media_type=SVG)


@router.get("/datasets/{dataset_id}/history", summary="Every incoming lineage interval of a dataset")
def history(dataset_id: str, store: Annotated[Any, Depends(graph_of)]) -> list[dict[str, Any]]:
    """Return the dataset's incoming intervals, current and past, with the query that caused each."""
    return dataset_history(store, dataset_id)[1]


@router.get("/coverage", summary="Coverage of the last crawl")
def crawl_coverage(registry: Annotated[Any, Depends(registry_of)],
                   store: Annotated[Any, Depends(graph_of)]) -> dict[str, Any]:
    """Return each source's watermark, the quarantine (ids and reasons, never text) and the graph's size."""
    return coverage(registry, store)
