"""Wire settings to components: one function per CLI command or scheduler job.

Each function opens what it needs, does one job, and closes what it opened. No argument
parsing or rendering here (that is ``cli.py``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console

from lineage_engine.errors import ConfigError
from lineage_engine.graph.store import open_graph_store
from lineage_engine.profiling import NO_PROFILE, Profile
from lineage_engine.resources import sample_dir
from lineage_engine.retry import call_with_retry

if TYPE_CHECKING:
    # Start-up: a command imports only what it uses (the parser and sqlglot for a crawl, numpy for
    # a scan, Alembic to migrate, slack_sdk to post), so the imports of the parts live in the
    # functions that use them (tests/test_cli_imports.py, benchmarks/cli_startup.py).
    from lineage_engine.alerts.notifier import Notifier
    from lineage_engine.alerts.outbox import DeliveryReport
    from lineage_engine.column_catalog import ColumnCatalog
    from lineage_engine.graph.store import GraphStore
    from lineage_engine.model import SavedTrace
    from lineage_engine.parsing.schema import SchemaProvider
    from lineage_engine.pipeline import CrawlReport
    from lineage_engine.registry.repository import Registry, UpsertReport
    from lineage_engine.scan import Exposure, MaskingInputs, ScanReport
    from lineage_engine.settings import Settings
    from lineage_engine.sources.base import QueryHistorySource
    from lineage_engine.sources.dbt import DbtArtifactsSource
    from lineage_engine.sources.openlineage import ReceiveReport
    from lineage_engine.windows import CrawlWindow, WindowsReport

log = logging.getLogger(__name__)


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
        migrate=graph.migrate_on_open,
        **({"buffer_pool_mb": graph.buffer_pool_mb, "checkpoint_mb": graph.checkpoint_mb}
           if graph.type == "embedded" else {}),
        uri=graph.uri,
        database=graph.database,
        credentials=graph.credentials.get_secret_value() if graph.credentials else None,
        indexes=tuple(graph.indexes),
        batch_size=graph.batch_size,
        max_connection_pool_size=graph.max_connection_pool_size,
        connection_timeout=graph.connection_timeout_seconds,
        connection_acquisition_timeout=graph.connection_acquisition_timeout_seconds,
        max_transaction_retry_time=graph.max_transaction_retry_seconds,
    )
    try:
        yield store
    finally:
        store.close()


@contextmanager
def registry(settings: Settings, *, read_only: bool = False) -> Iterator[Registry]:
    """Open the configured classification registry; close it on exit.

    ``read_only`` for a command that only reads: a missing SQLite registry is an error
    (``RegistryNotFoundError``), never created, and nothing in it is written.
    """
    from lineage_engine.registry.repository import Registry

    reg = Registry(settings.registry_url, read_only=read_only)
    try:
        yield reg
    finally:
        reg.close()


def query_history_source(settings: Settings, path_override: Path | None = None) -> QueryHistorySource:
    """Build the configured query-history source.

    Raises:
        ConfigError: the provider needs a key that is not set.
    """
    from lineage_engine.sources.dbt import DbtArtifactsSource
    from lineage_engine.sources.file import FileQueryHistorySource

    telemetry = settings.telemetry
    if telemetry.provider == "dbt" and path_override is None:
        if telemetry.path is None:
            raise ConfigError("telemetry.path", "provider 'dbt' needs the dbt target folder (where manifest.json is)")
        return DbtArtifactsSource(telemetry.path)  # type: ignore[return-value]  # merged by crawl_dbt
    if telemetry.provider == "file" or path_override is not None:
        path = path_override or telemetry.path
        if path is None:
            raise ConfigError("telemetry.path", "provider 'file' needs a query-history file path")
        return FileQueryHistorySource(path, telemetry.format)
    if not telemetry.account:
        raise ConfigError("telemetry.account", "provider 'snowflake' needs the account identifier (e.g. myorg-myaccount)")
    if not telemetry.user:
        raise ConfigError("telemetry.user", "provider 'snowflake' needs the service user (e.g. LINEAGE_SVC)")
    from lineage_engine.sources.snowflake import SnowflakeQueryHistorySource, pushdown_query_types
    from lineage_engine.sources.snowflake_connection import SnowflakeConnectionConfig

    return SnowflakeQueryHistorySource(
        SnowflakeConnectionConfig.from_settings(telemetry),
        lag=timedelta(minutes=telemetry.lag_minutes),
        overlap=timedelta(minutes=telemetry.overlap_minutes),
        backfill_days=telemetry.backfill_days,
        page_size=telemetry.page_size,
        query_types=pushdown_query_types(telemetry.query_filters),
        own_user=telemetry.own_user,
        access_history=telemetry.access_history,
    )


def extra_sources(settings: Settings) -> list[QueryHistorySource | DbtArtifactsSource]:
    """Build ``telemetry.extra_sources`` in configured order (issue 16); each keeps its own watermark."""
    from lineage_engine.sources.dbt import DbtArtifactsSource
    from lineage_engine.sources.file import FileQueryHistorySource

    out: list[QueryHistorySource | DbtArtifactsSource] = []
    for extra in settings.telemetry.extra_sources:
        if extra.provider == "dbt":
            out.append(DbtArtifactsSource(extra.path, extra.dialect))
        else:
            out.append(FileQueryHistorySource(extra.path, extra.format))
    return out


def load_openlineage(settings: Settings, path: Path) -> ReceiveReport:
    """Store the run events of a JSON Lines file (one RunEvent per line), all or none; the next crawl merges them.

    Raises:
        InputError: the file cannot be read, or a line is not JSON or not a valid RunEvent (the
            message names the line and the JSON path of the first error); nothing is stored.
    """
    import json

    from lineage_engine.errors import InputError
    from lineage_engine.openlineage.validate import EventError
    from lineage_engine.sources.openlineage import receive_events

    documents: list[object] = []
    lines: list[int] = []
    try:
        with path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    documents.append(json.loads(line))
                    lines.append(number)
                except json.JSONDecodeError as exc:
                    raise InputError(f"{path}:{number}", f"not JSON ({exc.msg}); one RunEvent per line") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(str(path), f"cannot be read ({type(exc).__name__})") from None
    with registry(settings) as reg:
        reg.migrate()
        try:
            return receive_events(reg, documents)
        except EventError as exc:
            index = int(exc.path[1:exc.path.index("]")]) if exc.path.startswith("[") else 0
            path_in_event = "$" + exc.path[exc.path.index("]") + 1:] if exc.path.startswith("[") else exc.path
            raise InputError(f"{path}:{lines[index] if lines else 1}", f"not a valid OpenLineage RunEvent at {path_in_event}: "
                             f"{exc.reason}; nothing was stored") from None


def reset_watermark(settings: Settings, path_override: Path | None = None) -> tuple[str, bool]:
    """Forget the configured source's watermark so the next crawl reads it from the start.

    Returns:
        ``(source key, whether a watermark was stored)``. The graph is not touched.
    """
    source = query_history_source(settings, path_override)
    try:
        with registry(settings) as reg:
            reg.migrate()
            return source.key, reg.reset_watermark(source.key)
    finally:
        if hasattr(source, "close"):
            source.close()


def is_windowed(source: QueryHistorySource) -> bool:
    """Return True for sources read in END_TIME windows (Snowflake), False for files."""
    return callable(getattr(source, "in_window", None))


def notifier(settings: Settings, console: Console | None = None) -> Notifier:
    """Return the Slack notifier when ``monitoring.slack_webhook`` is set, else the console.

    Without a ``console`` (the scheduler run headless), console alerts go to standard output.
    """
    from lineage_engine.alerts.console import ConsoleNotifier

    webhook = settings.monitoring.slack_webhook
    if webhook is not None:
        from lineage_engine.alerts.slack import SlackNotifier

        # One request never takes longer than the whole delivery budget (monitoring.alert_budget_seconds).
        timeout = max(1, int(min(10, settings.monitoring.alert_budget_seconds)))
        return SlackNotifier(webhook.get_secret_value(), timeout=timeout)
    return ConsoleNotifier(console if console is not None else Console())


def alert_destination(settings: Settings) -> str:
    """Return where alerts go, for people: ``Slack (<host>)`` or ``the console`` (never the secret path)."""
    webhook = settings.monitoring.slack_webhook
    if webhook is None:
        return "the console"
    from urllib.parse import urlsplit

    host = urlsplit(webhook.get_secret_value()).hostname
    return f"Slack ({host})" if host else "Slack"


def migrate(settings: Settings) -> None:
    """Create or upgrade the graph schema and the registry tables (idempotent)."""
    with graph_store(settings) as store:
        store.migrate()
    with registry(settings) as reg:
        reg.migrate()


@dataclass(frozen=True)
class CrawlOutcome:
    """A crawl's report plus the classification sync that followed it.

    Attributes:
        windows: for a windowed source (Snowflake), what each END_TIME window did.
        backfill: the crawl started without a watermark or more than one day behind
            (:func:`~lineage_engine.windows.is_backfill`).
        delivery: the outbox run after a ``failed_backfill`` alert was queued, if any.
    """

    report: CrawlReport
    nodes_synced: int
    quarantined_total: int
    windows: WindowsReport | None = None
    backfill: bool = False
    delivery: DeliveryReport | None = None
    extra: tuple[CrawlReport, ...] = ()
    """Reports of ``telemetry.extra_sources``, in configured order (issue 16)."""


def crawl(
    settings: Settings,
    *,
    path_override: Path | None = None,
    progress: Callable[[int], None] | None = None,
    window_progress: Callable[[int, int], None] | None = None,
    stop: threading.Event | None = None,
    clock: Callable[[], datetime] = now_utc,
    console: Console | None = None,
    columns: ColumnCatalog | None = None,
    profile: Profile = NO_PROFILE,
) -> CrawlOutcome:
    """Migrate (idempotent), crawl the source from its watermark, then sync classifications.

    A file source is read in one pass. A windowed source (Snowflake) is read from the
    watermark (without one: ``telemetry.backfill_days`` back) to ``now - lag`` in one-day
    windows, each committed before the next (:func:`~lineage_engine.windows.crawl_windows`);
    windows older than Snowflake's 365-day retention are logged as a warning. Transient
    errors are retried per window (``scheduler.retry_*``); when a backfill window exhausts
    its retries a ``failed_backfill`` alert is queued and delivered, and the error raised:
    the window stays pending for the next run.

    Args:
        progress: called with rows read so far (file source).
        window_progress: called with (windows done, windows planned), first with (0, n).
        stop: when set, the crawl commits what it read and returns (``report.stopped``).
        console: where console alerts print (no Slack webhook).
        columns: the column catalog holder (``telemetry.sync_columns``); default a fresh
            one, i.e. one load for this crawl. A load failure is a warning, never an error.
        profile: accumulates seconds per kind of work of a file-source crawl
            (``crawl --profile``; :mod:`lineage_engine.profiling`).

    Raises:
        SourceError, GraphError, RegistryError: after retries; committed work stays.
    """
    from lineage_engine.column_catalog import ColumnCatalog
    from lineage_engine.governance import sync_warehouse_policies
    from lineage_engine.graph.column_rules import settle_column_rules
    from lineage_engine.pipeline import crawl_once, options_from_settings, sync_classifications
    from lineage_engine.sources.dbt import DbtArtifactsSource, crawl_dbt
    from lineage_engine.sources.openlineage import crawl_openlineage

    source = query_history_source(settings, path_override)
    policy = settings.scheduler
    stopped = stop.is_set if stop is not None else None
    with ExitStack() as stack:
        if hasattr(source, "close"):
            stack.callback(source.close)
        store = call_with_retry(lambda: stack.enter_context(graph_store(settings)), policy, stop=stop,
                                what="open the graph")
        reg = stack.enter_context(registry(settings))
        call_with_retry(reg.migrate, policy, stop=stop, what="migrate the registry")
        options = options_from_settings(settings.telemetry, settings.compliance)
        catalog = (columns if columns is not None else ColumnCatalog()).get(settings)
        # the configured query history read from its start (a first crawl, --reset-watermark): not another
        # file (`crawl --path`), which replays nothing of it; --path of the configured file itself counts
        telemetry = settings.telemetry
        history = path_override is None or (telemetry.provider == "file" and telemetry.path is not None
                                             and query_history_source(settings).key == source.key)
        from_start = history and not isinstance(source, DbtArtifactsSource) and reg.get_watermark(source.key) is None
        if isinstance(source, DbtArtifactsSource):
            report = call_with_retry(lambda: crawl_dbt(source, store, reg, options, clock=clock), policy, stop=stop,
                                     what=f"crawl {source.key}")
            outcome_windows, backfill, delivery = None, False, None
        elif not is_windowed(source):
            report = call_with_retry(
                lambda: crawl_once(source, store, reg, options, progress=progress, stop=stopped, catalog=catalog,
                                   profile=profile),
                policy, stop=stop, what=f"crawl {source.key}")
            outcome_windows, backfill, delivery = None, False, None
        else:
            outcome_windows, backfill, delivery = _crawl_windowed(
                settings, source, store, reg, options, window_progress=window_progress, stop=stop,
                clock=clock, console=console, catalog=catalog)
            report = outcome_windows.total(source.key)
        if from_start and not report.stopped:  # a replay gave `identity` back to the copies it saw unchanged
            settle_column_rules(store)
        extra = tuple(_crawl_extra(extra_source, store, reg, options, settings, stop, clock)
                      for extra_source in (extra_sources(settings) if path_override is None else []))
        tolerance = timedelta(minutes=settings.telemetry.future_tolerance_minutes)
        received = call_with_retry(lambda: crawl_openlineage(store, reg, settings.openlineage_namespace, clock=clock,
                                                             future_tolerance=tolerance),
                                   policy, stop=stop, what="merge received OpenLineage events")
        extra += (received,) if received.rows_read else ()
        if settings.telemetry.sync_policies:  # issue 10 §2: what the warehouse enforces now
            sync_warehouse_policies(settings, reg, clock())
        if settings.telemetry.sync_grants:  # issue 14 §3: who can read, dated
            from lineage_engine.access.service import sync_grants

            sync_grants(settings, reg)
        synced = sync_classifications(store, reg)
        total = reg.count_quarantine(source.key)
    return CrawlOutcome(report=report, nodes_synced=synced, quarantined_total=total, windows=outcome_windows,
                        backfill=backfill, delivery=delivery, extra=extra)


def _crawl_extra(source: QueryHistorySource | DbtArtifactsSource, store: GraphStore, reg: Registry, options: Any,
                 settings: Settings, stop: threading.Event | None, clock: Callable[[], datetime]) -> CrawlReport:
    """Crawl one of ``telemetry.extra_sources`` from its own watermark (retried like the main source)."""
    from lineage_engine.pipeline import crawl_once
    from lineage_engine.sources.dbt import DbtArtifactsSource, crawl_dbt

    stopped = stop.is_set if stop is not None else None
    if isinstance(source, DbtArtifactsSource):
        return call_with_retry(lambda: crawl_dbt(source, store, reg, options, clock=clock), settings.scheduler,
                               stop=stop, what=f"crawl {source.key}")
    return call_with_retry(lambda: crawl_once(source, store, reg, options, stop=stopped), settings.scheduler,
                           stop=stop, what=f"crawl {source.key}")


def _crawl_windowed(
    settings: Settings, source: Any, store: GraphStore, reg: Registry, options: Any, *,
    window_progress: Callable[[int, int], None] | None, stop: threading.Event | None,
    clock: Callable[[], datetime], console: Console | None, catalog: SchemaProvider | None = None,
) -> tuple[WindowsReport, bool, DeliveryReport | None]:
    from lineage_engine.windows import crawl_windows, is_backfill, outside_retention, plan_windows

    telemetry, policy = settings.telemetry, settings.scheduler
    now = clock()
    watermark = reg.get_watermark(source.key)
    windows = plan_windows(watermark, now=now, lag=timedelta(minutes=telemetry.lag_minutes),
                           backfill_days=telemetry.backfill_days, window_days=telemetry.backfill_window_days)
    backfill = is_backfill(watermark, windows)
    for window in outside_retention(windows, now):
        log.warning("window %s starts more than 365 days ago: Snowflake keeps 365 days of ACCOUNT_USAGE "
                    "query history, so its oldest part is gone", window,
                    extra={"event": "window_outside_retention", "source": source.key,
                           "window_start": window.start.isoformat()})
    if backfill:
        log.info("backfill of %d window(s) from %s", len(windows), windows[0].start.isoformat() if windows else "-",
                 extra={"event": "backfill_planned", "source": source.key, "windows": len(windows)})
    if window_progress is not None:
        window_progress(0, len(windows))

    def committed(index: int, window: CrawlWindow, report: CrawlReport) -> None:
        log.info("window %d/%d %s committed: %d rows, %d statements parsed, %d edges opened",
                 index + 1, len(windows), window, report.rows_read, report.statements_parsed, report.merge.edges_created,
                 extra={"event": "window_committed", "source": source.key, "backfill": backfill,
                        "window_start": window.start.isoformat(), "window_end": window.end.isoformat(),
                        "index": index + 1, "windows": len(windows), "rows_read": report.rows_read,
                        "statements_parsed": report.statements_parsed, "cache_hits": report.cache_hits,
                        "quarantined": report.quarantined, "edges_created": report.merge.edges_created,
                        "enriched": report.enriched})
        if window_progress is not None:
            window_progress(index + 1, len(windows))

    result = crawl_windows(
        source, store, reg, options, windows,
        attempt=lambda crawl, window: call_with_retry(crawl, policy, stop=stop, what=f"crawl {source.key} window {window}"),
        on_window=committed, stop=stop.is_set if stop is not None else None, catalog=catalog)
    delivery = None
    if result.error is not None:
        if backfill and result.failed is not None:
            delivery = alert_failed_backfill(settings, reg, source_key=source.key, window=result.failed,
                                             error=result.error, now=clock(), console=console)
        raise result.error
    return result, backfill, delivery


def alert_failed_backfill(
    settings: Settings, reg: Registry, *, source_key: str, window: CrawlWindow, error: Exception,
    now: datetime, console: Console | None = None,
) -> DeliveryReport | None:
    """Queue a ``failed_backfill`` alert (once per window and day) and deliver the outbox.

    Returns None (and queues nothing) when ``failed_backfill`` is not in
    ``monitoring.alert_on`` or the registry itself is unavailable (logged).
    """
    from lineage_engine.alerts.outbox import deliver_outbox

    if "failed_backfill" not in settings.monitoring.alert_on:
        return None
    payload = {
        "source": source_key,
        "window_start": window.start.isoformat(),
        "window_end": window.end.isoformat(),
        "attempts": settings.scheduler.retry_attempts,
        "error": str(error)[:1000],
        "next_step": "the window stays pending; the next run retries it",
    }
    key = f"failed_backfill:{source_key}:{window.start.isoformat()}:{now.date().isoformat()}"
    try:
        reg.enqueue_alert("failed_backfill", key, payload)
        return deliver_outbox(reg, notifier(settings, console), now=now,
                              kinds_enabled=frozenset(settings.monitoring.alert_on),
                              budget_seconds=settings.monitoring.alert_budget_seconds)
    except Exception as exc:  # noqa: BLE001 - the crawl error matters more; this one is logged
        log.error("could not queue the failed_backfill alert for window %s: %s", window, exc,
                  extra={"event": "alert_failed", "source": source_key})
        return None


def backfill_pending(settings: Settings, *, clock: Callable[[], datetime] = now_utc) -> bool:
    """Return True when a windowed source has no watermark or is more than one day behind."""
    from lineage_engine.windows import is_backfill, plan_windows

    source = query_history_source(settings)
    if not is_windowed(source):
        return False
    with registry(settings) as reg:
        reg.migrate()
        watermark = reg.get_watermark(source.key)
    windows = plan_windows(watermark, now=clock(), lag=timedelta(minutes=settings.telemetry.lag_minutes),
                           backfill_days=settings.telemetry.backfill_days,
                           window_days=settings.telemetry.backfill_window_days)
    return is_backfill(watermark, windows)


def sync_registry(settings: Settings) -> int:
    """Copy the registry's classifications onto graph nodes; return the nodes changed."""
    from lineage_engine.pipeline import sync_classifications

    with graph_store(settings) as store, registry(settings) as reg:
        reg.migrate()
        return sync_classifications(store, reg)


def scan(settings: Settings, *, console: Console | None = None, now: datetime | None = None,
         profile: Profile = NO_PROFILE) -> ScanReport:
    """Sync classifications, find exposure paths, update findings, deliver pending alerts.

    ``profile`` collects wall and CPU seconds per stage (``lineage-engine scan --profile``).
    """
    from lineage_engine.scan import MaskingInputs, scan_once

    timing = profile
    compliance = settings.compliance
    realert = timedelta(hours=compliance.realert_after_hours) if compliance.realert_after_hours else None
    with graph_store(settings) as store, registry(settings) as reg:
        with timing.timed("graph.sync_classifications"):
            store.sync_classifications(reg.list_assets())  # pipeline.sync_classifications, without the parser
        with timing.timed("registry.masking"):
            masking = MaskingInputs(reg)  # read once: the walk, drift, shares and boundaries fork it
        if "drift" in settings.monitoring.alert_on:  # issue 14 §5: queued here, delivered by the scan
            from lineage_engine.access.service import check_drift

            with timing.timed("drift"):
                check_drift(store, reg, now=now or now_utc(), sensitive_tags=list(compliance.sensitive_tags),
                            masking=masking, group_above=settings.monitoring.alert_group_above)
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
            alert_budget_seconds=settings.monitoring.alert_budget_seconds,
            alert_group_above=settings.monitoring.alert_group_above,
            adjust=_finding_adjuster(store, reg, compliance, masking),
            profile=timing,
            masking=masking,
        )


def _finding_adjuster(store: GraphStore, reg: Registry, compliance: Any, masking: Any = None) -> Any:
    """The scan's hook: who can read each terminal (§3), then egress and boundary findings (issue 14 §4, §6)."""
    from lineage_engine.access.findings import finding_adjuster

    return finding_adjuster(store, reg, sensitive_tags=list(compliance.sensitive_tags),
                            risk_thresholds=dict(compliance.risk_thresholds),
                            tag_risk_keys=dict(compliance.tag_risk_keys), rules=list(compliance.boundaries),
                            broad_members=compliance.broad_role_members,
                            then=_grant_adjuster(reg, compliance.broad_role_members), masking=masking)


def _grant_adjuster(reg: Registry, broad_members: int) -> Any:
    """The scan's hook adding who can read each terminal (issue 14 §3; no-op without grant facts)."""
    from lineage_engine.access.service import grant_adjuster

    return grant_adjuster(reg, broad_members=broad_members)


def scan_as_of(settings: Settings, as_of: datetime) -> Exposure:
    """Return the exposure as of ``as_of`` (aware UTC) without changing anything.

    The lineage, classifications and masking policies of that instant
    (:func:`~lineage_engine.scan.assess_exposure`, :func:`~lineage_engine.facts.registry_facts`);
    the graph is opened read-only, the registry only read: no classification sync, no
    migration, the findings ledger and the alert outbox are not touched.

    Raises:
        ValueError: ``as_of`` is naive.
        GraphError, RegistryError: a store could not be read (e.g. not migrated yet).
    """
    from lineage_engine.facts import registry_facts
    from lineage_engine.scan import MaskingInputs, assess_exposure

    compliance = settings.compliance
    with graph_store(settings, read_only=True) as store, registry(settings, read_only=True) as reg:
        masking = MaskingInputs(reg)  # masking policies with time (issue 10 §2-3), read once
        return assess_exposure(
            store,
            registry_facts(reg, as_of),
            as_of=as_of,
            pii_tags=frozenset(compliance.sensitive_tags),
            risk_thresholds=dict(compliance.risk_thresholds),
            tag_risk_keys=dict(compliance.tag_risk_keys),
            masking=masking.fork(),
            statements=reg.get_statements,
            adjust=_finding_adjuster(store, reg, compliance, masking),  # as the scan: egress, shares, boundaries, grants
        )


def run_trace(settings: Settings, trace: SavedTrace, params: dict[str, object], *,
              walk: bool = True) -> list[dict[str, object]]:
    """Run a saved trace read-only: through the exposure walk or a bounded read for the
    shipped traces answered so (``downstream_of``, ``unmasked_pii_columns``, ``upstream_of``,
    ``exposure_for_dataset``, ``unmasked_pii_paths``, ``column_upstream_of``: see
    :mod:`lineage_engine.walk_traces`; ``walk=False`` for a user's own trace file), else its
    Cypher.

    First the ids its parameters name are checked: a parameter whose header doc says
    ``dataset id(s)`` or ``column id(s)`` goes through
    :func:`~lineage_engine.graph.known_ids.require_known_ids`, so an unknown id is an error
    with the closest known ids, never an empty answer. Rows come back with ``path`` and
    ``edges`` in data-flow order, origin first (:func:`~lineage_engine.traces.in_flow_order`).

    Raises:
        UnknownIdError: an id parameter names no node of its kind (``input`` is ``-p NAME``).
        GraphError, RegistryError: a store could not be read.
    """
    from lineage_engine.graph.known_ids import id_kind, require_known_ids
    from lineage_engine.traces import in_flow_order
    from lineage_engine.walk_traces import answered_by_walk, run_walk_trace
    from lineage_engine.facts import registry_facts
    from lineage_engine.scan import MaskingInputs

    with graph_store(settings, read_only=True) as store:
        for param in trace.params:
            kind = id_kind(param.doc)
            value = params.get(param.name)
            if kind is None or value is None:
                continue
            values = [str(v) for v in value] if isinstance(value, (list, tuple)) else [str(value)]
            require_known_ids(store, values, kind=kind, input=f"-p {param.name}")
        if not walk or not answered_by_walk(trace.name):
            return in_flow_order(trace, store.run_trace(trace, params))

        with ExitStack() as stack:  # the registry is opened (read only) when a trace needs it
            opened: list[Registry] = []

            def reg() -> Registry:
                if not opened:
                    opened.append(stack.enter_context(registry(settings, read_only=True)))
                return opened[0]

            def facts(as_of: datetime) -> list[Any]:
                return registry_facts(reg(), as_of)

            def masking() -> MaskingInputs:  # as the scan applies it (one semantics)
                return MaskingInputs(reg())

            return in_flow_order(trace, run_walk_trace(store, trace, params, facts, masking))


def demo_boundaries() -> list[Any]:
    """Return the sample's boundary rule (issue 14 §6): cardholder data is never shared with partners."""
    from lineage_engine.settings import BoundaryRule

    return [BoundaryRule(name="pci-no-partners", classification="pci", forbidden=["share:*"])]


DEMO_MASKED_COLUMN = "prod_db.share.partner_feed.email_hash"
DEMO_OPENLINEAGE_COLUMN = "prod_db.raw.customer_profiles.phone"
DEMO_OPENLINEAGE_TARGET = "s3://northwind-partner-exports"


def receive_demo_openlineage(settings: Settings) -> ReceiveReport:
    """Store the demo's OpenLineage run event (``demo --with-openlineage``); the next crawl merges it.

    A Spark job (as its OpenLineage integration reports it) copies the customers' phone numbers
    in clear, and a SHA-256 of their e-mail, from the warehouse to an S3 bucket: lineage the query
    history never shows. Named in this installation's ``openlineage.namespace``.
    """
    from lineage_engine.sources.openlineage import receive_events

    namespace = settings.openlineage_namespace

    def field(column: str, masking: bool) -> dict[str, object]:
        return {"inputFields": [{"namespace": namespace, "name": "PROD_DB.RAW.CUSTOMER_PROFILES", "field": column,
                                 "transformations": [{"type": "DIRECT", "masking": masking,
                                                      "subtype": "TRANSFORMATION" if masking else "IDENTITY"}]}]}

    event = {
        "eventType": "COMPLETE", "eventTime": "2026-11-19T03:00:00Z", "producer": "https://example.com/spark",
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
        "run": {"runId": "6f1c2b1e-0d8a-4c55-9d0e-3a1b2c4d5e6f"},
        "job": {"namespace": "spark://northwind-emr", "name": "partner_export.customers"},
        "inputs": [{"namespace": namespace, "name": "PROD_DB.RAW.CUSTOMER_PROFILES"}],
        "outputs": [{"namespace": DEMO_OPENLINEAGE_TARGET, "name": "/customers/2026-11-19", "facets": {
            "columnLineage": {"_producer": "https://example.com/spark", "_schemaURL":
                              "https://openlineage.io/spec/facets/1-2-0/ColumnLineageDatasetFacet.json",
                              "fields": {"phone": field("PHONE", False), "email_sha256": field("EMAIL", True)}}}}],
    }
    with registry(settings) as reg:
        reg.migrate()
        return receive_events(reg, [event])
"""The sample's partner feed column built from ``sha2(lower(email), 256)`` (the demo shows it)."""


def column_upstream(settings: Settings, column_id: str) -> list[dict[str, object]]:
    """Run the saved trace ``column_upstream_of`` for ``column_id`` as of now (read-only)."""
    from lineage_engine.traces import coerce_params, load_trace

    trace = load_trace("column_upstream_of")
    return run_trace(settings, trace, coerce_params(trace, {"column_id": column_id}))



def import_registry(settings: Settings, path: Path) -> UpsertReport:
    """Import a classification file (YAML or CSV) into the registry, all or nothing."""
    from lineage_engine.registry.importer import import_classifications

    with registry(settings) as reg:
        reg.migrate()
        return import_classifications(reg, path)


def sample_history_path() -> Path:
    """Return the bundled sample query history."""
    return sample_dir() / "query_history.jsonl"


def sample_classifications_path() -> Path:
    """Return the bundled sample classifications."""
    return sample_dir() / "classifications.yaml"
