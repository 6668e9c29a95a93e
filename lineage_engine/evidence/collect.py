"""Read what an evidence pack holds from the stores, read-only (issue 15 §2).

The graph is opened read-only and the registry is only read (no migration, no
classification sync): the findings ledger, its event chain and the alert outbox stay
byte-identical. The exposure is the scan's own answer as of T (``scan --as-of``:
:func:`lineage_engine.services.scan_as_of`); the lineage around each origin is the scan's
time-respecting walk from the origin's dataset (what held its data at T, copies through
intermediates dropped since included), with every interval of those edges that had opened
by T; the registry facts are those holding at T (:func:`lineage_engine.facts.registry_facts`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lineage_engine import __version__
from lineage_engine.errors import InputError
from lineage_engine.exposure.column_walk import dataset_of
from lineage_engine.exposure.explain import IntervalIndex, explain_path, hops_as_dicts
from lineage_engine.facts import registry_facts
from lineage_engine.lineage_reads import explain_flow_path
from lineage_engine.model import Asset, EdgeRow, ExposurePath
from lineage_engine.registry.tables import REDACTED_TEXT_MAX
from lineage_engine.scan import Exposure, load_lineage, walk_tables
from lineage_engine.suggest import closest

RECOVERED_MARK = "recovered from its tokens"
"""Words the parser puts in a quarantine reason when it recovered table lineage from tokens."""

UNKNOWN_TEXT = "(unknown: statement text not kept or cut)"
"""``datasets`` of a quarantined statement whose names cannot be read: it may touch any dataset."""


@dataclass(frozen=True, slots=True)
class OriginLineage:
    """The lineage around one origin as of T.

    Attributes:
        origin: the sensitive origin (dataset or column id).
        dataset: its dataset.
        holdings: walk rows: ``dataset``, ``hops``, ``path`` (ids, origin first), ``edges``
            (hops origin first, each with transform, statement and validity).
        edges: every interval, opened by T, of the dataset edges on those paths.
    """

    origin: str
    dataset: str
    holdings: list[dict[str, Any]]
    edges: list[EdgeRow]


@dataclass(frozen=True, slots=True)
class Evidence:
    """Everything a pack holds, before it becomes files (:mod:`lineage_engine.evidence.files`)."""

    as_of: datetime
    generated_at: datetime
    origins: tuple[str, ...]
    exposure: Exposure
    paths: list[tuple[ExposurePath, list[dict[str, Any]]]]
    lineage: list[OriginLineage]
    facts: list[Asset]
    quarantined: list[dict[str, Any]]
    recovered: list[dict[str, Any]]
    sources: list[dict[str, Any]]
    chain: dict[str, Any]
    ledger: list[dict[str, Any]]
    version: str = __version__
    notes: list[str] = field(default_factory=list)


def select_origins(exposure: Exposure, wanted: Sequence[str]) -> tuple[str, ...]:
    """Return the origins of the pack: all sensitive origins, or those ``wanted`` names.

    A dataset id names the dataset and its sensitive columns.

    Raises:
        InputError: a wanted id is not a sensitive origin as of T (with the closest ones).
    """
    known = exposure.origins
    if not wanted:
        return known
    chosen: list[str] = []
    for raw in wanted:
        value = raw.strip().lower()
        hits = [o for o in known if o == value or o.startswith(value + ".")]
        if not hits:
            near = closest(value, known)
            hint = f"; closest: {', '.join(near)}" if near else f"; sensitive origins then: {len(known)}"
            raise InputError("--origin", f"'{raw}' is not a sensitive origin as of {exposure.at.isoformat()}{hint}")
        chosen.extend(h for h in hits if h not in chosen)
    return tuple(chosen)


def collect(settings: Any, as_of: datetime, origins: Sequence[str] = (), *, now: datetime) -> Evidence:
    """Read the evidence as of ``as_of`` for ``origins`` (all sensitive origins when empty).

    Raises:
        InputError: an ``--origin`` that is not a sensitive origin as of ``as_of``.
        GraphError, RegistryError: a store could not be read (e.g. not migrated).
    """
    from lineage_engine import services
    from lineage_engine.report_rows import finding_row

    exposure = services.scan_as_of(settings, as_of)
    chosen = select_origins(exposure, origins)
    picked = set(chosen)
    with services.graph_store(settings, read_only=True) as store, \
            services.registry(settings, read_only=True) as reg:
        lineage = load_lineage(store, columns=True)
        index = IntervalIndex(lineage.edges, lineage.column_edges)
        dataset_ids = {e.downstream for e in lineage.edges} | {e.upstream for e in lineage.edges}
        explanations: dict[Any, Any] = getattr(exposure, "explanations", None) or {}
        paths = []
        for path in [*exposure.paths, *exposure.windows]:
            if path.origin not in picked:
                continue
            explained = explanations.get((path.origin, path.terminal)) or {}
            hops = list(explained.get("hops") or [])
            if not hops:  # before exposures explained their paths (issue 10 §6): explain from the graph
                hops = explain_flow_path(store, list(reversed(path.path)), as_of)
            paths.append((path, [dict(h) for h in hops]))
        around = [_around(lineage, index, origin, ds, as_of) for origin in chosen
                  if (ds := dataset_of_origin(origin, dataset_ids)) is not None]
        facts = registry_facts(reg, as_of)
        datasets = {h["dataset"] for o in around for h in o.holdings} | {o.dataset for o in around}
        query_ids = {e.last_query_id for o in around for e in o.edges if e.last_query_id}
        entries = reg.list_quarantine(10**9)
        quarantined = _touching(entries, datasets, query_ids)
        recovered = _recovered(entries, [e for o in around for e in o.edges])
        sources = _sources(reg.list_watermarks(), as_of)
        chain = _chain_head(reg)
        ledger = [finding_row(f) for f in reg.list_findings()]
    notes = list(exposure.notes)
    return Evidence(as_of=as_of, generated_at=now, origins=chosen, exposure=exposure, paths=paths, lineage=around,
                    facts=facts, quarantined=quarantined, recovered=recovered, sources=sources, chain=chain,
                    ledger=ledger, notes=notes)


def dataset_of_origin(origin: str, dataset_ids: set[str]) -> str | None:
    """Return the dataset of an origin (itself, or a column's table) when the graph holds it."""
    ds = origin if origin in dataset_ids else dataset_of(origin)
    return ds if ds in dataset_ids else None


def _around(lineage: Any, index: IntervalIndex, origin: str, dataset: str, as_of: datetime) -> OriginLineage:
    holdings = walk_tables(lineage, [dataset], as_of=as_of)
    rows, pairs = [], set()
    for h in sorted(holdings, key=lambda h: (h.hops, h.dataset)):
        pairs.update(zip(h.path, h.path[1:]))
        rows.append({"dataset": h.dataset, "hops": h.hops, "path": list(reversed(h.path)),
                     "edges": list(reversed(hops_as_dicts(explain_path(h.path, 0, index, as_of))))})
    edges = sorted((e for e in lineage.edges if (e.downstream, e.upstream) in pairs and e.valid_from <= as_of),
                   key=lambda e: (e.downstream, e.upstream, e.valid_from))
    return OriginLineage(origin=origin, dataset=dataset, holdings=rows, edges=edges)


def _touching(entries: Sequence[Any], datasets: set[str], query_ids: set[str]) -> list[dict[str, Any]]:
    """Quarantined statements that may touch ``datasets``: by query id, or naming one in their
    redacted text (full id, ``schema.name`` or the bare name as a word), or whose text was not
    kept or was cut (:data:`UNKNOWN_TEXT` among their ``datasets``: they may touch any). The
    text is not kept."""
    patterns = []
    for ds in sorted(datasets):
        parts = ds.split(".")
        names = {ds, ".".join(parts[-2:]), parts[-1]}
        patterns.append((ds, re.compile(r"(?<![\w$])(?:" + "|".join(re.escape(n) for n in sorted(names, key=len,
                                                                                                  reverse=True))
                                        + r")(?![\w$])", re.IGNORECASE)))
    out = []
    for entry in entries:
        text = (entry.redacted_text or "").replace('"', "")
        hits = [ds for ds, rx in patterns if rx.search(text)]
        if entry.query_id and entry.query_id in query_ids and not hits:
            hits = ["(by query id)"]
        if len(entry.redacted_text or "") >= REDACTED_TEXT_MAX or (not entry.redacted_text and entry.query_id) \
                or "RESULT_SCAN" in (entry.reason or ""):  # reads an earlier query's result: any dataset
            # text not kept (quarantined before parsing: too_large, end_time_in_future, internal_error)
            # or cut: the names it holds are unknown, so it may touch any of them
            hits.append(UNKNOWN_TEXT)
        if hits:
            out.append({"query_id": entry.query_id, "source": entry.source, "position": entry.position,
                        "reason_code": entry.reason_code, "reason": entry.reason, "fingerprint": entry.fingerprint,
                        "datasets": hits})
    return out


def _recovered(entries: Sequence[Any], edges: Sequence[EdgeRow]) -> list[dict[str, Any]]:
    """Edges whose last statement was only recovered from its tokens (no parse)."""
    from lineage_engine.report_rows import edge_row

    recovered = {e.query_id: e for e in entries if e.query_id and RECOVERED_MARK in (e.reason or "")}
    return [{**edge_row(e), "reason": recovered[e.last_query_id].reason}
            for e in edges if e.last_query_id in recovered]


def _sources(marks: Sequence[tuple[Any, datetime]], as_of: datetime) -> list[dict[str, Any]]:
    """Each query-history source's watermark and whether it was crawled up to T."""
    from lineage_engine.report_rows import iso

    out = []
    for mark, committed in marks:
        last = mark.end_time
        if last is None:
            status = "no statement read yet"
        elif last < as_of:
            status = f"not crawled up to the as-of instant: nothing after {iso(last)} was read"
        else:
            status = "crawled past the as-of instant"
        out.append({"source": mark.source, "last_statement_end": iso(last), "rows_read": mark.rows_total,
                    "committed_at": iso(committed), "status": status})
    return out


def _chain_head(reg: Any) -> dict[str, Any]:
    """Return the findings event log's head (issue 15 §1) as the manifest records it.

    ``event_id``, ``hash`` and ``events`` (:meth:`Registry.findings_chain_head`), whether the
    chain verified when the pack was written (``intact``, ``problem``), and ``expect_head``
    (``EVENT_ID:HASH``) for a later ``lineage-engine findings verify --expect-head``, which
    catches events cut off the end of the log after the pack was written.
    """
    head = reg.findings_chain_head()
    check = reg.verify_events()
    return {**head.as_dict(), "intact": check.ok, "problem": check.problem or None,
            "first_bad_event": check.bad_id,
            "expect_head": f"{head.event_id}:{head.hash}" if head.event_id is not None else None}
