"""The HTML pages of ``lineage-engine serve``: server-rendered (Jinja2, autoescaped), no JavaScript.

Findings (filter and sort), one finding (its path as a picture, each hop's transform and
query id), lineage around a dataset or column (N hops, wide layers collapsed, "+N more"
expands on click, an as-of date), a dataset's history, and the coverage of the last crawl.
Every picture is inline SVG from :mod:`lineage_engine.render`. No query text and no secret is
put on any page (quarantine rows show query id and reason only).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from lineage_engine import __version__
from lineage_engine.exposure.severity import SEVERITIES
from lineage_engine.render.neighbourhood import DEFAULT_LIMIT, MAX_HOPS
from lineage_engine.report_rows import finding_row
from lineage_engine.web.api import MAX_OFFSET, finding_statuses
from lineage_engine.web.context import graph_of, registry_of
from lineage_engine.web.queries import DEFAULT_SORT, LEVELS, PAGE_ROWS, finding_filters
from lineage_engine.web.views import (
    coverage,
    dataset_history,
    finding_view,
    lineage_href,
    lineage_view,
    parse_expand,
    parse_instant,
)

router = APIRouter(include_in_schema=False)

COLUMNS = (("id", "#"), ("severity", "severity"), ("status", "status"), ("origin", "origin"),
           ("terminal", "terminal"), ("level", "level"), ("opened_at", "opened"))
"""Sortable columns of the findings table: (sort key, heading)."""


@lru_cache(maxsize=1)
def _templates() -> Any:
    from jinja2 import Environment, PackageLoader, select_autoescape

    return Environment(loader=PackageLoader("lineage_engine.web", "templates"),
                       autoescape=select_autoescape(["html"]), auto_reload=False)


def render(name: str, status: int = 200, **context: Any) -> HTMLResponse:
    """Return the template ``name`` rendered with ``context`` (and the version)."""
    html = _templates().get_template(name).render(version=__version__, **context)
    return HTMLResponse(html, status_code=status)


def _blank(value: str | None) -> str | None:
    return value if value else None


@router.get("/")
def home() -> RedirectResponse:
    """The findings page is the home page."""
    return RedirectResponse("/findings", status_code=303)


@router.get("/findings", response_class=HTMLResponse)
def findings_page(
    registry: Annotated[Any, Depends(registry_of)],
    status: str | None = None, severity: str | None = None, origin: str | None = None, level: str | None = None,
    sort: str = DEFAULT_SORT, offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> HTMLResponse:
    """The findings ledger, filtered by severity, status, origin and level, sorted by a column,
    :data:`PAGE_ROWS` at a time (links to the previous and next pages)."""
    params = {"status": _blank(status), "severity": _blank(severity), "origin": _blank(origin),
              "level": _blank(level), "sort": sort or DEFAULT_SORT}
    filters = finding_filters(statuses=finding_statuses(), **params)
    page = registry.page_findings(**filters, limit=PAGE_ROWS, offset=offset)
    rows = [finding_row(f) for f in page.findings]
    links = {}
    for key, _ in COLUMNS:
        flipped = f"-{key}" if params["sort"] == key else key
        query = {k: v for k, v in {**params, "sort": flipped}.items() if v}
        links[key] = "/findings?" + urlencode(query)
    kept = {k: v for k, v in params.items() if v}
    back = max(0, min(offset, page.matching - 1) - PAGE_ROWS) if page.matching else 0  # past the end: the last page
    pages = {"first": offset + 1 if rows else 0, "last": offset + len(rows),
             "previous": "/findings?" + urlencode({**kept, "offset": back}) if offset else None,
             "next": "/findings?" + urlencode({**kept, "offset": offset + PAGE_ROWS})
             if offset + len(rows) < page.matching else None}
    return render("findings.html", title="Findings", nav="findings", rows=rows, total=page.total,
                  matching=page.matching, pages=pages, params=params, severities=SEVERITIES,
                  statuses=finding_statuses(), levels=LEVELS, columns=COLUMNS, sort_links=links)


@router.get("/findings/{finding_id}", response_class=HTMLResponse)
def finding_page(finding_id: int, registry: Annotated[Any, Depends(registry_of)],
                 store: Annotated[Any, Depends(graph_of)]) -> HTMLResponse:
    """One finding: its facts, its path as a picture, each hop's transform and query id."""
    view = finding_view(registry, store, finding_id)
    return render("finding.html", title=f"Finding {finding_id}", nav="findings", f=view.row, hops=view.hops,
                  svg=view.svg, lineage_link=lineage_href(view.row["origin"], up=1, down=3))


@router.get("/lineage", response_class=HTMLResponse)
def lineage_page(
    request: Request,
    id: str | None = None,  # noqa: A002 - the page's word
    up: int = 1, down: int = 2, as_of: str | None = None,
    expand: Annotated[list[str] | None, Query()] = None, limit: int = DEFAULT_LIMIT,
) -> HTMLResponse:
    """Lineage around a dataset or column: N hops up and down as of a date, collapsed, expandable."""
    params = {"id": id or "", "up": up, "down": down, "as_of": as_of or "",
              "limit": limit if limit != DEFAULT_LIMIT else None}
    if not id:
        return render("lineage.html", title="Lineage", nav="lineage", view=None, params=params, max_hops=MAX_HOPS)
    when = parse_instant(as_of)
    wider = parse_expand(expand)
    for store in graph_of(request):
        view = lineage_view(store, id, up=up, down=down, as_of=when, expand=wider, limit=limit)
    params["as_of"] = when.date().isoformat() if when else ""
    return render("lineage.html", title=f"Lineage of {view.id}", nav="lineage", view=view, params=params,
                  max_hops=MAX_HOPS)


@router.get("/history", response_class=HTMLResponse)
def history_page(id: str, store: Annotated[Any, Depends(graph_of)]) -> HTMLResponse:  # noqa: A002
    """A dataset's history: every incoming lineage interval with the statement that caused it."""
    node, rows = dataset_history(store, id)
    return render("history.html", title=f"History of {node}", nav="lineage", id=node, rows=rows)


@router.get("/coverage", response_class=HTMLResponse)
def coverage_page(registry: Annotated[Any, Depends(registry_of)],
                  store: Annotated[Any, Depends(graph_of)]) -> HTMLResponse:
    """Coverage of the last crawl: sources and watermarks, graph size, latest quarantine entries."""
    return render("coverage.html", title="Coverage", nav="coverage", c=coverage(registry, store))
