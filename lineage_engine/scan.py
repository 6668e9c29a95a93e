"""One exposure scan: registry + graph -> exposure paths -> findings ledger -> alerts (design §7).

:func:`scan_once` is what the scheduler's exposure job and ``lineage-engine scan`` call. The
deciding logic is pure (:mod:`lineage_engine.exposure`); this module only wires I/O:

1. list registry assets; pick sensitive origins; fold column-level origins onto their
   dataset (walks are dataset-level until column lineage lands: every path is ``table``);
2. ask the graph which origins it holds at all (the rest are reported, not guessed at);
3. run the saved trace ``unmasked_pii_paths`` with every origin id and ``as_of=now``;
4. keep the exposure paths (:func:`find_exposure_paths`);
5. ``registry.record_scan``: opens, escalates, re-alerts and resolves findings and queues
   their alerts in the same transaction;
6. deliver the outbox (:func:`deliver_outbox`), kinds outside ``alert_kinds_enabled``
   suppressed (marked delivered without sending; see :mod:`lineage_engine.alerts.outbox`).

A failure in steps 1-5 raises before the ledger changes, so a broken graph never resolves
open findings; nor does a graph that holds none of the origins while findings are open
(a wrong ``graph.path`` or a fresh, empty graph): that raises ``GraphError`` instead.
Delivery failures do not raise: they stay in the outbox for the next run.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from lineage_engine.alerts.notifier import Notifier
from lineage_engine.alerts.outbox import DeliveryReport, deliver_outbox
from lineage_engine.errors import GraphError
from lineage_engine.exposure.origins import (
    column_origin_count,
    find_origin_datasets,
    find_sensitive_origins,
    index_assets,
)
from lineage_engine.exposure.paths import Coverage, find_exposure_paths, summarize_coverage
from lineage_engine.exposure.severity import DEFAULT_TAG_RISK_KEYS
from lineage_engine.graph.store import GraphStore
from lineage_engine.model import ExposurePath, SavedTrace
from lineage_engine.traces import load_trace

TRACE_NAME = "unmasked_pii_paths"

_PRESENT = SavedTrace(
    name="_origins_in_graph",
    text="MATCH (d:Dataset) WHERE d.id IN $ids RETURN d.id AS id ORDER BY id",
    description="Which of the given dataset ids exist as Dataset nodes (scan coverage).",
)


@dataclass(frozen=True, slots=True)
class ScanReport:
    """What one :func:`scan_once` found and did.

    Attributes:
        origins: dataset ids walked as sensitive origins, sorted.
        paths: exposure paths, most severe first (see :func:`find_exposure_paths`).
        outcome: the registry's ``ScanOutcome`` (opened, escalated, realerted, resolved,
            still_open findings).
        delivery: the outbox run after recording.
        origins_missing_from_graph: origins with no Dataset node: their downstream is
            unknown, not empty.
        coverage: the same facts plus the caveats (:meth:`Coverage.notes`) for reports.
        at: the scan's ``now`` (UTC); also the trace's ``as_of``.
    """

    origins: tuple[str, ...]
    paths: list[ExposurePath]
    outcome: Any
    delivery: DeliveryReport
    origins_missing_from_graph: tuple[str, ...]
    coverage: Coverage
    at: datetime

    @property
    def notes(self) -> tuple[str, ...]:
        """Return the coverage caveats, in plain language."""
        return self.coverage.notes()


def scan_once(
    store: GraphStore,
    registry: Any,
    notifier: Notifier,
    *,
    now: datetime,
    pii_tags: Collection[str],
    risk_thresholds: Mapping[str, str],
    tag_risk_keys: Mapping[str, str] = DEFAULT_TAG_RISK_KEYS,
    realert_after: timedelta | None = None,
    alert_kinds_enabled: Collection[str] | None = None,
    max_attempts: int | None = None,
) -> ScanReport:
    """Run one exposure scan as of ``now`` and deliver the alerts it queued.

    Args:
        store: the lineage graph (read only here).
        registry: a ``lineage_engine.registry.Registry``.
        notifier: where alerts go.
        now: aware UTC; the trace's ``as_of`` and the ledger's clock.
        pii_tags: ``compliance.sensitive_tags``.
        risk_thresholds: ``compliance.risk_thresholds``.
        tag_risk_keys: ``compliance.tag_risk_keys``.
        realert_after: re-alert open findings older than this; None never re-alerts.
        alert_kinds_enabled: ``monitoring.alert_on``; None sends every kind.
        max_attempts: give up sending an alert after this many failures (None: never).

    Returns:
        The :class:`ScanReport`.

    Raises:
        ValueError: ``now`` is naive, or a risk threshold is not a severity.
        GraphError: the graph could not be read, or holds none of the origins while
            findings are open; the ledger is unchanged.
        RegistryError: the registry could not be read or written.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("scan_once needs an aware UTC 'now'")
    assets = registry.list_assets()
    by_path = index_assets(assets)
    sensitive = find_sensitive_origins(assets, pii_tags=frozenset(pii_tags))
    origins = find_origin_datasets(sensitive, by_path)
    origin_ids = sorted(origins)

    rows: list[dict[str, object]] = []
    present: list[str] = []
    if origin_ids:
        present = [str(r["id"]) for r in store.run_trace(_PRESENT, {"ids": origin_ids})]
        rows = store.run_trace(load_trace(TRACE_NAME), {"origins": origin_ids, "as_of": now})
    coverage = summarize_coverage(origin_ids, present, column_origins=column_origin_count(sensitive))
    if origin_ids and not present:
        open_findings = registry.list_findings("open")
        if open_findings:
            raise GraphError(
                store.backend,
                f"none of the {len(origin_ids)} sensitive origins is in the lineage graph, yet "
                f"{len(open_findings)} findings are open; refusing to resolve them all. Check "
                "graph.path / graph.uri points at the crawled graph, or run 'lineage-engine crawl'",
            )

    paths = find_exposure_paths(
        rows, origins, by_path, risk_thresholds=risk_thresholds, tag_risk_keys=tag_risk_keys
    )
    outcome = registry.record_scan(paths, now, realert_after=realert_after)
    delivery = deliver_outbox(
        registry, notifier, now=now, max_attempts=max_attempts, kinds_enabled=alert_kinds_enabled
    )
    return ScanReport(
        origins=tuple(origin_ids),
        paths=paths,
        outcome=outcome,
        delivery=delivery,
        origins_missing_from_graph=coverage.missing_from_graph,
        coverage=coverage,
        at=now,
    )
