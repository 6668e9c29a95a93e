"""The JSON API of ``lineage-engine serve``: read-only, under ``/api/`` (OpenAPI: ``/api/openapi.json``).

Errors answer ``{"detail": message}``: an unknown id 404 (with the closest ids), a bad
parameter 422, a store that cannot be read 503. No query text and no secret in any answer.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query

from lineage_engine import __version__
from lineage_engine.report_rows import finding_row
from lineage_engine.suggest import closest
from lineage_engine.web.context import registry_of
from lineage_engine.web.queries import DEFAULT_SORT, filter_findings

router = APIRouter(prefix="/api", tags=["api"])


@router.get("/health", summary="Liveness: the server answers")
def health() -> dict[str, Any]:
    """Return ``{"status": "ok", "version": …}`` (no store is read)."""
    return {"status": "ok", "version": __version__}


def finding_rows(registry: Any) -> list[dict[str, Any]]:
    """Return every finding of the ledger as rows (:func:`lineage_engine.report_rows.finding_row`)."""
    return [finding_row(f) for f in registry.list_findings()]


def finding_statuses() -> tuple[str, ...]:
    """Return the ledger's finding statuses."""
    from lineage_engine.registry.tables import FINDING_STATUSES

    return tuple(FINDING_STATUSES)


@router.get("/findings", summary="Findings of the ledger, filtered and sorted")
def list_findings(
    registry: Annotated[Any, Depends(registry_of)],
    status: Annotated[str | None, Query(description="open | resolved (any ledger status)")] = None,
    severity: Annotated[str | None, Query(description="LOW | MEDIUM | HIGH | CRITICAL")] = None,
    origin: Annotated[str | None, Query(description="dataset or column id; a dataset matches its columns")] = None,
    level: Annotated[str | None, Query(description="table | column")] = None,
    sort: Annotated[str, Query(description="severity, opened_at, origin, terminal, status, level, id; "
                                           "'-' in front: descending")] = DEFAULT_SORT,
) -> list[dict[str, Any]]:
    """Return findings (path origin first) matching every filter given, sorted."""
    return filter_findings(finding_rows(registry), statuses=finding_statuses(), status=status, severity=severity,
                           origin=origin, level=level, sort=sort)


@router.get("/findings/{finding_id}", summary="One finding")
def get_finding(finding_id: int, registry: Annotated[Any, Depends(registry_of)]) -> dict[str, Any]:
    """Return one finding by id; 404 naming the closest ids when there is none."""
    rows = finding_rows(registry)
    for row in rows:
        if row["id"] == finding_id:
            return row
    known = [str(r["id"]) for r in rows]
    near = closest(str(finding_id), known)
    hint = f"; closest known: {', '.join(near)}" if near else "; list them with GET /api/findings"
    raise HTTPException(404, f"no finding {finding_id} in the ledger{hint}")
