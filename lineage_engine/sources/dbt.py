"""The dbt source: a dbt target folder crawled into the graph with ``provenance: dbt`` (issue 16).

Configured as ``telemetry.provider: dbt`` with ``telemetry.path`` the target folder, or as
one of ``telemetry.extra_sources`` beside the query history. Its key (``dbt:<folder>``)
holds its own watermark: the ``invocation_id`` and ``generated_at`` of the last
``run_results.json`` merged. A crawl reads the folder; when its run is the one stored, nothing
changes; else the run's events (:mod:`.dbt_lineage`) are merged in one graph transaction,
the unparseable compiled SQL quarantined, and only then the watermark moves. Re-reading the
same artifacts therefore changes nothing; a crawl killed between the graph commit and the
watermark re-applies the same events at the same instants, which changes nothing either
(dbt edges have their own lane, :mod:`lineage_engine.graph.lanes`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

from lineage_engine.graph.store import GraphStore
from lineage_engine.model import Watermark
from lineage_engine.parse_pool import extract_record
from lineage_engine.parsing import DEFAULT_TEMP_PATTERNS, extract_lineage
from lineage_engine.pipeline import CrawlOptions, CrawlReport, quarantine_for
from lineage_engine.registry.crawl_state import CrawlStateChanges
from lineage_engine.registry.repository import Registry
from lineage_engine.sources.dbt_artifacts import load_dbt_artifacts
from lineage_engine.sources.dbt_lineage import dbt_lineage, dialect_of


class DbtArtifactsSource:
    """A dbt target folder (``manifest.json``, ``run_results.json``, ``catalog.json``).

    Args:
        folder: the target folder (dbt's ``target-path``), absolute.
        dialect: sqlglot dialect of the compiled SQL; None: from the manifest's adapter,
            else the crawl's ``telemetry.dialect``.
    """

    def __init__(self, folder: Path, dialect: str | None = None) -> None:
        self.folder = folder
        self.dialect = dialect
        self.key = f"dbt:{folder}"


def crawl_dbt(
    source: DbtArtifactsSource,
    store: GraphStore,
    registry: Registry,
    options: CrawlOptions,
    *,
    clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
) -> CrawlReport:
    """Merge the folder's latest dbt run into the graph, once; return what it did.

    ``rows_read`` counts the run's results for models, seeds and snapshots, ``statements_parsed``
    the compiled SQL read, ``skipped`` the nodes not built by status (``error``, ``skipped``
    ...), and ``skipped['already merged']`` is 1 when the run was merged before.

    Raises:
        SourceError: the folder or its manifest is missing, unreadable or of an unsupported dbt
            version (nothing is written).
        GraphError, RegistryError: the crawl stopped; the watermark did not move.
    """
    started = time.perf_counter()
    report = CrawlReport(source=source.key)
    artifacts = load_dbt_artifacts(source.folder)
    mark, _ = registry.get_crawl_state(source.key)
    dialect = source.dialect or dialect_of(artifacts, options.dialect)
    parse_options = replace(options, dialect=dialect)
    if artifacts.invocation_id and mark is not None and mark.query_id == artifacts.invocation_id:
        report.skipped["already merged"] = 1
        report.watermark = mark
        report.elapsed_seconds = time.perf_counter() - started
        return report
    now = clock()
    lineage = dbt_lineage(
        artifacts, source.key,
        extract=lambda record, schema: extract_record(
            record, parse_options, DEFAULT_TEMP_PATTERNS, schema, extract_lineage)[0],
        quarantine=lambda record, result: quarantine_for(source.key, record, result, now))
    report.rows_read = lineage.built + sum(lineage.not_built.values())
    report.statements_parsed = lineage.parsed
    report.skipped.update({f"not built ({status})": n for status, n in lineage.not_built.items()})
    if lineage.run_at is None or not artifacts.executed:
        for note in artifacts.notes:
            report.skipped[note] += 1
        report.elapsed_seconds = time.perf_counter() - started
        return report
    report.merge += store.apply_events(lineage.events)
    if lineage.quarantine:
        registry.add_quarantine(lineage.quarantine)
    watermark = Watermark(source=source.key, end_time=lineage.run_at, query_id=lineage.invocation_id,
                          rows_total=(mark.rows_total if mark else 0) + report.rows_read)
    registry.commit_crawl_state(watermark, CrawlStateChanges())
    report.watermark = watermark
    report.events = len(lineage.events)
    report.quarantined = len(lineage.quarantine)
    report.batches = 1
    report.elapsed_seconds = time.perf_counter() - started
    return report
