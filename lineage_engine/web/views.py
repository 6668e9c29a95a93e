"""What the pages and the JSON API show, as data: one function per view, no HTML here.

Each function reads the registry or the graph (read-only) and returns plain rows, plus the
picture (:mod:`lineage_engine.render`) where the view has one. Pages
(:mod:`lineage_engine.web.pages`) and the API (:mod:`lineage_engine.web.api`) both call
these, so a page and its JSON say the same thing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlencode

from lineage_engine.errors import InputError
from lineage_engine.render import render_svg
from lineage_engine.render.model import Picture
from lineage_engine.render.neighbourhood import DEFAULT_LIMIT, MAX_HOPS, neighbourhood, path_picture
from lineage_engine.report_rows import edge_row, finding_row, iso


class NotFound(LookupError):
    """An id the ledger does not hold (answered 404 with the message)."""


def parse_instant(value: str | None, name: str = "as_of") -> datetime | None:
    """Parse an ``as_of`` parameter (ISO 8601; a date is midnight UTC, no offset is UTC).

    Raises:
        InputError: not ISO 8601 (answered 422).
    """
    from lineage_engine.sources.rows import RowError, parse_timestamp

    if value is None or not value.strip():
        return None
    try:
        return parse_timestamp(value.strip(), name)
    except RowError:
        raise InputError(name, f"'{value}' is not ISO 8601; write e.g. 2026-11-14 or 2026-11-14T09:30:00Z") from None


def parse_expand(values: list[str] | None) -> dict[int, int]:
    """Parse ``expand=LAYER:COUNT`` parameters (layer: hops, negative upstream).

    Raises:
        InputError: a value that is not ``LAYER:COUNT`` with a count of 1 to 5,000.
    """
    out: dict[int, int] = {}
    for value in values or []:
        layer, _, count = value.partition(":")
        try:
            layer_n, count_n = int(layer), int(count)
        except ValueError:
            raise InputError("expand", f"'{value}' is not LAYER:COUNT (e.g. 1:24)") from None
        if not 1 <= count_n <= 5000:
            raise InputError("expand", f"'{value}': show 1 to 5000 nodes of a layer")
        out[layer_n] = count_n
    return out


def check_limit(value: int) -> int:
    """Return ``value`` (nodes per layer before "+N more") when it is 1..200.

    Raises:
        InputError: out of range (answered 422).
    """
    if not 1 <= value <= 200:
        raise InputError("limit", f"{value} nodes per layer: give 1 to 200 (then expand a layer with '+N more')")
    return value


def check_hops(value: int, name: str) -> int:
    """Return ``value`` when it is 0..MAX_HOPS.

    Raises:
        InputError: out of range (answered 422).
    """
    if not 0 <= value <= MAX_HOPS:
        raise InputError(name, f"{value} hops: draw 0 to {MAX_HOPS} (a wider question is a trace)")
    return value


def lineage_href(node_id: str, **params: Any) -> str:
    """Return the lineage page URL around ``node_id`` with ``params`` (None values left out)."""
    query = {"id": node_id, **{k: v for k, v in params.items() if v is not None}}
    return "/lineage?" + urlencode(query, doseq=True)


def find_finding(registry: Any, finding_id: int) -> Any:
    """Return the ledger finding ``finding_id``.

    Raises:
        NotFound: no such finding (the message names the closest ids).
    """
    from lineage_engine.errors import InputError

    try:  # one row by its key: a page never reads the whole ledger (175,650 findings took 2 GiB)
        return registry.get_finding(finding_id)
    except InputError:
        near = registry.nearest_finding_ids(finding_id)
        hint = f"; closest known: {', '.join(map(str, near))}" if near else "; the findings page lists them"
        raise NotFound(f"no finding {finding_id} in the ledger{hint}") from None


@dataclass(frozen=True, slots=True)
class FindingView:
    """One finding with its hops (origin first) and the SVG of its path."""

    row: dict[str, Any]
    hops: list[dict[str, Any]]
    svg: str


def finding_view(registry: Any, store: Any, finding_id: int) -> FindingView:
    """Return a finding with each hop's transform and query id, and its path picture.

    The hops come from the finding's own explanation (recorded by the scan that saw the
    path, issue 10 §6) when it has one, else from the graph as of when the path was last
    seen (:func:`lineage_engine.lineage_reads.explain_flow_path`).

    Raises:
        NotFound: no such finding.
        GraphError, RegistryError: a store could not be read.
    """
    from lineage_engine.lineage_reads import explain_flow_path

    finding = find_finding(registry, finding_id)
    row = finding_row(finding)
    explanation = getattr(finding, "explanation", None) or {}
    hops = [dict(h) for h in (explanation.get("hops") or [])]
    if not hops and len(row["path"]) > 1:
        when = finding.last_seen_at or datetime.now(timezone.utc)
        hops = explain_flow_path(store, list(row["path"]), when)
    title = f"finding {finding.id}: {finding.origin} → {finding.terminal}"
    picture = path_picture(row["path"], hops, title=title, href=lambda node: lineage_href(node, up=1, down=2))
    return FindingView(row=row, hops=hops, svg=render_svg(picture))


@dataclass(frozen=True, slots=True)
class LineageView:
    """The neighbourhood of one dataset or column: picture, its SVG, and its nodes and edges."""

    id: str
    level: str
    as_of: datetime
    up: int
    down: int
    picture: Picture
    svg: str
    edges: list[dict[str, Any]]


def lineage_view(store: Any, node_id: str, *, up: int, down: int, as_of: datetime | None,
                 expand: Mapping[int, int] | None = None, limit: int = DEFAULT_LIMIT,
                 link: Callable[..., str] = lineage_href) -> LineageView:
    """Return the lineage around ``node_id`` as of ``as_of`` (now when None), N hops each way.

    Only edges valid at that instant; read hop by hop from drawn nodes; wide layers collapse
    into "+N more" nodes whose link shows ``limit`` more of that layer.

    Raises:
        UnknownIdError: no dataset or column by that id (answered 404 with the closest ids).
        InputError: hops out of range.
        GraphError: the graph could not be read.
    """
    from lineage_engine.lineage_reads import edge_reader, level_of

    check_hops(up, "up")
    check_hops(down, "down")
    check_limit(limit)
    node, level = level_of(store, node_id)
    when = as_of or datetime.now(timezone.utc)
    stamp = iso(as_of) if as_of else None
    expand = dict(expand or {})
    read = edge_reader(store, as_of=when, level=level)
    seen: list[Any] = []

    def reader(ids: Any, direction: str) -> list[Any]:
        rows = read(ids, direction)
        seen.extend(rows)
        return rows

    def more(layer: int, shown: int) -> str:
        wider = {**expand, layer: shown + limit}
        return link(node, up=up, down=down, as_of=stamp, limit=shown_limit,
                    expand=[f"{k}:{v}" for k, v in sorted(wider.items())])

    shown_limit = limit if limit != DEFAULT_LIMIT else None
    picture = neighbourhood(node, reader, up=up, down=down, limit=limit, expand=expand,
                            href=lambda other: link(other, up=up, down=down, as_of=stamp, limit=shown_limit),
                            more_href=more, title=f"{node} ({level}) as of {iso(when)}")
    drawn = {n.id for n in picture.nodes}
    edges = [edge_row(e, level=level) for e in seen if e.upstream in drawn and e.downstream in drawn]
    unique = list({(e["upstream"], e["downstream"], e["valid_from"]): e for e in edges}.values())
    return LineageView(id=node, level=level, as_of=when, up=up, down=down, picture=picture,
                       svg=render_svg(picture), edges=unique)


def dataset_history(store: Any, dataset_id: str) -> tuple[str, list[dict[str, Any]]]:
    """Return a dataset's every incoming interval, current and past (saved trace ``dataset_history``).

    Raises:
        UnknownIdError: no dataset by that id (closest ids named).
        GraphError: the graph could not be read.
    """
    from lineage_engine.graph.known_ids import require_known_ids
    from lineage_engine.traces import load_trace
    from lineage_engine.report_rows import plain_value

    [node] = require_known_ids(store, [dataset_id], kind="dataset", input="id")
    rows = store.run_trace(load_trace("dataset_history"), {"dataset": node})
    return node, [plain_value(dict(r)) for r in rows]


def coverage(registry: Any, store: Any, *, recent: int = 50) -> dict[str, Any]:
    """Return the coverage of the last crawl: sources and watermarks, quarantine, graph size.

    Rows of quarantine entries carry query id, reason code and reason, never text.

    Raises:
        GraphError, RegistryError: a store could not be read.
    """
    marks = registry.list_watermarks()
    entries = registry.list_quarantine(recent)
    counts = store.counts()
    return {
        "sources": [{"source": m.source, "last_statement_end": iso(m.end_time), "rows_read": m.rows_total,
                     "committed_at": iso(at)} for m, at in marks],
        "quarantined_total": registry.count_quarantine(),
        "quarantined_recent": [{"query_id": e.query_id, "position": e.position, "reason_code": e.reason_code,
                                "reason": e.reason, "seen_at": iso(getattr(e, "seen_at", None))} for e in entries],
        "graph": {"datasets": counts.datasets, "columns": counts.columns, "dataset_edges": counts.dataset_edges,
                  "column_edges": counts.column_edges},
    }
