"""One exposure scan: registry + graph -> exposure paths -> findings ledger -> alerts (design §7).

:func:`scan_once` is what the scheduler's exposure job and ``lineage-engine scan`` call. The
deciding logic is pure (:mod:`lineage_engine.exposure`); this module only wires I/O:

1. list registry assets; pick sensitive origins; fold column-level origins onto their
   dataset (walks are dataset-level until column lineage lands: every path is ``table``);
2. ask the graph which origins it holds at all (the rest are reported, not guessed at);
3. read every edge interval once (``iter_edges(None)``) and the ids of views, and walk
   downstream from each origin as of ``now`` (:func:`find_holdings`, time-respecting:
   see :mod:`lineage_engine.exposure.walk` for the definition of "exposure as of T");
4. keep the exposure paths (:func:`find_exposure_paths`: registry facts, governed rule,
   severity);
5. ``registry.record_scan``: opens, escalates, re-alerts and resolves findings and queues
   their alerts in the same transaction;
6. deliver the outbox (:func:`deliver_outbox`), kinds outside ``alert_kinds_enabled``
   suppressed (marked delivered without sending; see :mod:`lineage_engine.alerts.outbox`).

A failure in steps 1-5 raises before the ledger changes, so a broken graph never resolves
open findings; nor does a graph that holds none of the origins while findings are open
(a wrong ``graph.path`` or a fresh, empty graph): that raises ``GraphError`` instead.
Delivery failures do not raise: they stay in the outbox for the next run.

Why not the ``unmasked_pii_paths`` trace. The saved trace stays for analysts (it answers
"which paths exist with every edge valid at an instant"), but the scan no longer runs it:

- a variable-length Cypher match enumerates every path, so its cost follows the number of
  paths, not edges (measured on the embedded engine: 500 datasets / 1,200 edges gave 56k
  paths in 28 s and 9.6 GB; 1,600 edges ran out of memory). The Python walk is one pass per
  origin over the edges (``benchmarks/exposure_walk.py``);
- requiring every edge of a path to be valid *now* misses copies whose intermediate was
  dropped, renamed or replaced after the copy (``customers -> tmp_copy -> export`` with
  ``tmp_copy`` dropped: ``export`` still holds the PII). The walk follows history instead.
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
    is_column_asset,
)
from lineage_engine.exposure.paths import Coverage, find_exposure_paths, summarize_coverage
from lineage_engine.exposure.severity import DEFAULT_TAG_RISK_KEYS
from lineage_engine.exposure.walk import DEFAULT_MAX_HOPS, find_holdings
from lineage_engine.graph.store import GraphStore
from lineage_engine.model import ExposurePath, SavedTrace

_VIEWS = SavedTrace(
    name="_views_in_graph",
    text="MATCH (d:Dataset) WHERE d.kind = 'view' RETURN d.id AS id ORDER BY id",
    description="Datasets that are views: they show their upstreams' content live (exposure walk).",
)

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
        at: the scan's ``now`` (UTC); also the walk's ``as_of``.
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
    max_hops: int = DEFAULT_MAX_HOPS,
) -> ScanReport:
    """Run one exposure scan as of ``now`` and deliver the alerts it queued.

    Args:
        store: the lineage graph (read only here).
        registry: a ``lineage_engine.registry.Registry``.
        notifier: where alerts go.
        now: aware UTC; the walk's ``as_of`` and the ledger's clock.
        pii_tags: ``compliance.sensitive_tags``.
        risk_thresholds: ``compliance.risk_thresholds``.
        tag_risk_keys: ``compliance.tag_risk_keys``.
        realert_after: re-alert open findings older than this; None never re-alerts.
        alert_kinds_enabled: ``monitoring.alert_on``; None sends every kind.
        max_attempts: give up sending an alert after this many failures (None: never).
        max_hops: longest lineage route walked from an origin, in edges.

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
    if present:
        views = [str(r["id"]) for r in store.run_trace(_VIEWS, {})]
        masked = {a.catalog_path for a in assets if a.is_masked and not is_column_asset(a)}
        holdings = find_holdings(
            store.iter_edges(None), present, as_of=now, masked=masked, live=views, max_hops=max_hops
        )
        rows = [h.as_row() for h in holdings]
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
