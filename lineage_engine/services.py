"""Wire settings to components: one function per CLI command or scheduler job.

Each function opens what it needs, does one job, and closes what it opened. No argument
parsing or rendering here (that is ``cli.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from lineage_engine.alerts.console import ConsoleNotifier
from lineage_engine.alerts.notifier import Notifier
from lineage_engine.alerts.slack import SlackNotifier
from lineage_engine.errors import ConfigError
from lineage_engine.graph.store import GraphStore, open_graph_store
from lineage_engine.pipeline import CrawlReport, crawl_once, options_from_settings, sync_classifications
from lineage_engine.registry.importer import import_classifications
from lineage_engine.registry.repository import Registry, UpsertReport
from lineage_engine.resources import sample_dir
from lineage_engine.scan import ScanReport, scan_once
from lineage_engine.settings import Settings
from lineage_engine.sources.base import QueryHistorySource
from lineage_engine.sources.file import FileQueryHistorySource


def now_utc() -> datetime:
    """Return the current time, timezone-aware UTC."""
    return datetime.now(timezone.utc)


@contextmanager
def graph_store(settings: Settings, *, read_only: bool = False) -> Iterator[GraphStore]:
    """Open the configured graph store; close it on exit."""
    graph = settings.graph
    store = open_graph_store(
        graph.type,
        path=graph.path,
        read_only=read_only,
        uri=graph.uri,
        database=graph.database,
        credentials=graph.credentials.get_secret_value() if graph.credentials else None,
        indexes=tuple(graph.indexes),
    )
    try:
        yield store
    finally:
        store.close()


@contextmanager
def registry(settings: Settings) -> Iterator[Registry]:
    """Open the configured classification registry; close it on exit."""
    reg = Registry(settings.registry_url)
    try:
        yield reg
    finally:
        reg.close()


def query_history_source(settings: Settings, path_override: Path | None = None) -> QueryHistorySource:
    """Build the configured query-history source.

    Raises:
        ConfigError: the provider needs a key that is not set.
    """
    telemetry = settings.telemetry
    if telemetry.provider == "file" or path_override is not None:
        path = path_override or telemetry.path
        if path is None:
            raise ConfigError("telemetry.path", "provider 'file' needs a query-history file path")
        return FileQueryHistorySource(path, telemetry.format)
    raise ConfigError("telemetry.provider", "the Snowflake source arrives with issue 3; use provider: file for now")


def notifier(settings: Settings, console: object | None = None) -> Notifier:
    """Return the Slack notifier when ``monitoring.slack_webhook`` is set, else the console."""
    webhook = settings.monitoring.slack_webhook
    if webhook is not None:
        return SlackNotifier(webhook.get_secret_value())
    return ConsoleNotifier(console)  # type: ignore[arg-type]


def migrate(settings: Settings) -> None:
    """Create or upgrade the graph schema and the registry tables (idempotent)."""
    with graph_store(settings) as store:
        store.migrate()
    with registry(settings) as reg:
        reg.migrate()


@dataclass(frozen=True)
class CrawlOutcome:
    """A crawl's report plus the classification sync that followed it."""

    report: CrawlReport
    nodes_synced: int
    quarantined_total: int


def crawl(
    settings: Settings,
    *,
    path_override: Path | None = None,
    progress: Callable[[int], None] | None = None,
) -> CrawlOutcome:
    """Migrate (idempotent), crawl the source from its watermark, then sync classifications."""
    source = query_history_source(settings, path_override)
    with graph_store(settings) as store, registry(settings) as reg:
        store.migrate()
        reg.migrate()
        report = crawl_once(source, store, reg, options_from_settings(settings.telemetry), progress=progress)
        synced = sync_classifications(store, reg)
        total = reg.count_quarantine(source.key)
    return CrawlOutcome(report=report, nodes_synced=synced, quarantined_total=total)


def scan(settings: Settings, *, console: object | None = None, now: datetime | None = None) -> ScanReport:
    """Sync classifications, find exposure paths, update findings, deliver pending alerts."""
    compliance = settings.compliance
    realert = timedelta(hours=compliance.realert_after_hours) if compliance.realert_after_hours else None
    with graph_store(settings) as store, registry(settings) as reg:
        sync_classifications(store, reg)
        return scan_once(
            store,
            reg,
            notifier(settings, console),
            now=now or now_utc(),
            pii_tags=frozenset(compliance.sensitive_tags),
            risk_thresholds=dict(compliance.risk_thresholds),
            tag_risk_keys=dict(compliance.tag_risk_keys),
            realert_after=realert,
            alert_kinds_enabled=frozenset(settings.monitoring.alert_on),
        )


def import_registry(settings: Settings, path: Path) -> UpsertReport:
    """Import a classification file (YAML or CSV) into the registry, all or nothing."""
    with registry(settings) as reg:
        reg.migrate()
        return import_classifications(reg, path)


def sample_history_path() -> Path:
    """Return the bundled sample query history."""
    return sample_dir() / "query_history.jsonl"


def sample_classifications_path() -> Path:
    """Return the bundled sample classifications."""
    return sample_dir() / "classifications.yaml"
