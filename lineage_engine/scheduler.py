"""``lineage-engine run``: the background service (APScheduler 3, in the foreground).

Wiring only; each job is one :mod:`lineage_engine.services` call (design §2, §10):

=====================  ==========================================================  =====================
job                    what                                                        when
=====================  ==========================================================  =====================
``backfill``           crawl from no watermark (``backfill_days``, day windows)      at start, if pending
``crawl``              crawl from the watermark, then the exposure scan            every scan interval
``classification_sync`` registry classifications onto graph nodes                   every N minutes
``steward_check``      ``steward_missing`` alerts (:mod:`lineage_engine.stewards`)  every 24 h, at start
=====================  ==========================================================  =====================

With ``telemetry.sync_columns`` the crawl jobs share one column catalog
(:class:`~lineage_engine.column_catalog.ColumnCatalog`): ``ACCOUNT_USAGE.COLUMNS`` is read by the
first crawl and again by the first crawl after ``telemetry.columns_refresh_minutes``, not on
every 15-minute pass; a failed read is a warning and the crawl goes on.

Jobs run one at a time (one worker thread: the embedded graph admits one writer), with
``coalesce``, ``max_instances=1`` and ``misfire_grace_time``. Transient errors are retried
inside the job (:mod:`lineage_engine.retry`); a job that still fails is logged, counted and
shown by ``/healthz``, and the next run tries again.

Replicas: every job above writes, so it runs only in the process that holds the ``crawl``
lease in the registry (:mod:`lineage_engine.lease`); other processes on the same registry are
standby (``/healthz`` says ``"lease": "standby"``) and one takes over within 3/4 of
``scheduler.lease_seconds`` after the holder dies, resuming from the watermark. With
``service.web.enabled`` every replica also serves the read-only web view and JSON API
(:class:`lineage_engine.web.server.BackgroundServer`), standbys included. A holder that
loses the lease stops its running job after the current batch, as on SIGTERM.

SIGTERM and SIGINT: the running job commits the batch it holds (graph, then watermark),
stops, and the process exits 0; nothing is half-written. A second signal exits at once. ``run --once`` runs every job
once, in the table's order, and exits 0 when all succeeded, 1 otherwise.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

from lineage_engine import services
from lineage_engine.column_catalog import ColumnCatalog
from lineage_engine.errors import LineageEngineError
from lineage_engine.lease import LeaseKeeper
from lineage_engine.observability import Health, Metrics, MetricsServer
from lineage_engine.retry import call_with_retry
from lineage_engine.settings import Settings
from lineage_engine.stewards import check_stewards

log = logging.getLogger(__name__)

JOBS = ("backfill", "crawl", "classification_sync", "steward_check")


class _JobStop:
    """The running job's stop signal: a stop request, or this replica no longer holding the lease.

    Quacks like the :class:`threading.Event` the crawl and the retry loop take (``is_set``,
    ``wait``); the lease is checked against its local deadline, not a flag set later.
    """

    def __init__(self, service: Service) -> None:
        self._service = service

    def is_set(self) -> bool:
        service = self._service
        return service.stop.is_set() or (service.keeper is not None and not service.keeper.held())

    def wait(self, timeout: float | None = None) -> bool:
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self.is_set():
            left = 1.0 if deadline is None else min(1.0, deadline - time.monotonic())
            if left <= 0:
                break
            self._service.stop.wait(left)
        return self.is_set()


class Service:
    """The scheduled jobs of one configuration, their metrics and health.

    Args:
        settings: the loaded configuration.
        console: where console alerts print (no Slack webhook); None for stdout.
        window_progress: called with (windows done, windows planned) during a crawl.
        clock: UTC now.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        console: object | None = None,
        window_progress: Callable[[int, int], None] | None = None,
        clock: Callable[[], datetime] = services.now_utc,
    ) -> None:
        self.settings = settings
        self.console = console
        self.window_progress = window_progress
        self.clock = clock
        self.metrics = Metrics()
        self.health = Health()
        self.stop = threading.Event()
        self._running = threading.Lock()
        self._scheduler: Any = None
        self.columns = ColumnCatalog()
        self.keeper: LeaseKeeper | None = None
        self.job_stop = _JobStop(self)

    @property
    def interval_seconds(self) -> int:
        """Return the crawl interval: ``scheduler.crawl_interval_seconds`` or the scan interval."""
        override = self.settings.scheduler.crawl_interval_seconds
        return override or self.settings.telemetry.scan_interval_minutes * 60

    # -- jobs -------------------------------------------------------------------------------

    def _crawl(self, job: str) -> None:
        outcome = services.crawl(self.settings, stop=self.job_stop, window_progress=self.window_progress,
                                 clock=self.clock, console=self.console, columns=self.columns)
        report = outcome.report
        self.metrics.record_crawl(report)
        if outcome.delivery is not None:
            self.metrics.alert_delivery_failures.inc(outcome.delivery.failed)
        mark = report.watermark
        if not report.stopped:  # /healthz knows before the log line says so
            self.metrics.last_successful_crawl.set(time.time())
            self.health.job_finished("crawl", True)
        log.info("%s read %d rows: %d statements parsed, %d edges opened, %d re-observed", job, report.rows_read,
                 report.statements_parsed, report.merge.edges_created, report.merge.edges_updated,
                 extra={"event": "crawl_finished", "job": job, "source": report.source, "backfill": outcome.backfill,
                        "windows": len(outcome.windows.completed) if outcome.windows else None,
                        "rows_read": report.rows_read, "statements_parsed": report.statements_parsed,
                        "cache_hits": report.cache_hits, "quarantined": report.quarantined,
                        "edges_created": report.merge.edges_created, "edges_updated": report.merge.edges_updated,
                        "edges_closed": report.merge.edges_closed, "enriched": report.enriched,
                        "stopped": report.stopped, "watermark": mark.end_time.isoformat() if mark and mark.end_time else None})
        if not report.stopped:
            self._run("exposure_scan", self._scan)

    def _scan(self) -> None:
        report = call_with_retry(lambda: services.scan(self.settings, console=self.console, now=self.clock()),
                                 self.settings.scheduler, stop=self.job_stop, what="exposure scan")
        outcome = report.outcome
        self.metrics.findings_open.set(len(outcome.opened) + len(outcome.still_open))
        self.metrics.alert_delivery_failures.inc(report.delivery.failed)
        log.info("exposure scan: %d paths, %d findings opened, %d resolved", len(report.paths), len(outcome.opened),
                 len(outcome.resolved),
                 extra={"event": "scan_finished", "paths": len(report.paths), "opened": len(outcome.opened),
                        "resolved": len(outcome.resolved), "still_open": len(outcome.still_open),
                        "alerts_delivered": report.delivery.delivered, "alerts_failed": report.delivery.failed})

    def _classification_sync(self) -> None:
        changed = call_with_retry(lambda: services.sync_registry(self.settings), self.settings.scheduler,
                                  stop=self.stop, what="classification sync")
        log.info("classification sync: %d nodes changed", changed,
                 extra={"event": "classification_synced", "nodes_changed": changed})

    def _steward_check(self) -> None:
        report = call_with_retry(lambda: check_stewards(self.settings, now=self.clock(), console=self.console),
                                 self.settings.scheduler, stop=self.stop, what="steward check")
        self.metrics.alert_delivery_failures.inc(report.delivery.failed)
        log.info("steward check: %d issues, %d alerts queued", len(report.issues), report.queued,
                 extra={"event": "steward_checked", "issues": len(report.issues), "queued": report.queued})

    def _jobs(self) -> dict[str, Callable[[], None]]:
        return {"backfill": lambda: self._crawl("backfill"), "crawl": lambda: self._crawl("crawl"),
                "classification_sync": self._classification_sync, "steward_check": self._steward_check}

    # -- running ----------------------------------------------------------------------------

    def _run(self, job: str, fn: Callable[[], None]) -> bool:
        """Run one job: log, time, count, record health; return True when it succeeded."""
        if self.stop.is_set():
            return False
        if self.keeper is not None and not self.keeper.held():
            self.metrics.job_runs.labels(job, "standby").inc()
            log.debug("job %s skipped: another replica holds the crawl lease", job,
                      extra={"event": "job_skipped", "job": job, "reason": "standby"})
            return False
        started = time.perf_counter()
        log.info("job %s started", job, extra={"event": "job_started", "job": job})
        try:
            fn()
        except LineageEngineError as exc:  # messages never hold secrets or query text
            outcome, error = "failed", str(exc)
            log.error("job %s failed: %s", job, exc, extra={"event": "job_failed", "job": job,
                                                              "error_type": type(exc).__name__})
        except Exception as exc:  # noqa: BLE001 - a bug in one job must not stop the service
            outcome, error = "failed", f"internal error ({type(exc).__name__}); see the log"
            log.exception("job %s failed with an internal error", job,
                          extra={"event": "job_failed", "job": job, "error_type": type(exc).__name__})
        else:
            outcome, error = ("stopped" if self.job_stop.is_set() else "ok"), None
        elapsed = time.perf_counter() - started
        self.metrics.job_runs.labels(job, outcome).inc()
        self.metrics.job_duration.labels(job).observe(elapsed)
        if outcome != "stopped":
            self.health.job_finished("crawl" if job == "backfill" else job, outcome == "ok", error)
        log.info("job %s %s in %.1f s", job, outcome, elapsed,
                 extra={"event": "job_finished", "job": job, "outcome": outcome, "seconds": round(elapsed, 3)})
        return outcome == "ok"

    def _scheduled(self, job: str) -> Callable[[], None]:
        fn = self._jobs()[job]

        def run() -> None:
            with self._running:
                self._run(job, fn)

        return run

    def request_stop(self, signum: int | None = None, _frame: object = None) -> None:
        """Stop after the running job commits its current batch (signal handler).

        A second signal exits at once with 128 + its number: like SIGKILL, the batch being
        written is discarded by its transaction, and the next run reads it again.
        """
        name = signal.Signals(signum).name if signum else "stop request"
        if self.stop.is_set():
            if signum:
                log.warning("%s again: exiting now; the uncommitted batch is read again next run", name,
                            extra={"event": "forced_exit", "signal": name})
                logging.shutdown()
                os._exit(128 + signum)
            return
        log.info("%s: stopping after the current batch commits", name, extra={"event": "stopping", "signal": name})
        self.stop.set()
        self.health.state = "stopping"
        scheduler = self._scheduler
        if scheduler is not None and scheduler.running:
            scheduler.shutdown(wait=False)

    def _start_lease(self) -> LeaseKeeper:
        keeper = LeaseKeeper(self.settings.registry_url, self.settings.scheduler.lease_seconds,
                             on_change=self._lease_changed)
        self.keeper = keeper
        keeper.start()
        self.health.lease = "holder" if keeper.held() else "standby"
        return keeper

    def _lease_changed(self, holder: bool) -> None:
        self.health.lease = "holder" if holder else "standby"
        scheduler = self._scheduler
        if holder and scheduler is not None and scheduler.running:
            # A take-over resumes from the watermark now, not one interval later.
            scheduler.modify_job("crawl", next_run_time=self.clock())

    def run_once(self) -> int:
        """Run every job once, in order; return 0 when all succeeded, else 1.

        When another replica holds the crawl lease nothing runs and the return is 0 (the
        holder does the work); a line on stderr names the holder.
        """
        self.health.state = "running"
        keeper = self._start_lease()
        try:
            if not keeper.held():
                state = keeper.last_state
                holder = state.holder if state else "another replica"
                until = state.expires_at.isoformat(timespec="seconds") if state else "?"
                log.warning("another replica (%s) holds the crawl lease until %s; nothing ran", holder, until,
                            extra={"event": "standby", "holder": holder})
                print(f"standby: another replica ({holder}) holds the crawl lease until {until}; nothing ran",
                      file=sys.stderr)
                return 0
            return self._run_each_once()
        finally:
            keeper.stop()

    def _run_each_once(self) -> int:
        ok = True
        if services.backfill_pending(self.settings, clock=self.clock):
            ok &= self._run("backfill", self._jobs()["backfill"])
        for job in ("crawl", "classification_sync", "steward_check"):
            if self.stop.is_set():
                break
            ok &= self._run(job, self._jobs()[job])
        if self.stop.is_set():
            log.info("stopped before every job ran", extra={"event": "stopped"})
            return 1
        return 0 if ok else 1

    def run_forever(self) -> int:
        """Start the scheduler and the metrics endpoint; block until SIGTERM/SIGINT; return 0."""
        from apscheduler.executors.pool import ThreadPoolExecutor
        from apscheduler.schedulers.blocking import BlockingScheduler

        s = self.settings.scheduler
        scheduler = BlockingScheduler(
            executors={"default": ThreadPoolExecutor(max_workers=1)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": s.misfire_grace_seconds},
            timezone=timezone.utc,
        )
        now = self.clock()
        interval = timedelta(seconds=self.interval_seconds)
        pending = services.backfill_pending(self.settings, clock=self.clock)
        if pending:
            scheduler.add_job(self._scheduled("backfill"), "date", run_date=now, id="backfill", name="backfill")
        scheduler.add_job(self._scheduled("crawl"), "interval", seconds=interval.total_seconds(), id="crawl",
                          name="crawl", next_run_time=now + interval if pending else now)
        scheduler.add_job(self._scheduled("steward_check"), "interval", hours=s.steward_check_hours,
                          id="steward_check", name="steward_check", next_run_time=now + timedelta(seconds=1))
        sync = timedelta(minutes=s.classification_sync_minutes)
        scheduler.add_job(self._scheduled("classification_sync"), "interval", seconds=sync.total_seconds(),
                          id="classification_sync", name="classification_sync", next_run_time=now + sync)
        server = self._start_endpoint()
        web = self._start_web()
        keeper = self._start_lease()
        self._scheduler = scheduler
        self.health.state = "running"
        log.info("service started: crawl every %d s, backfill %s, %s", self.interval_seconds,
                 "pending" if pending else "not needed", "holding the crawl lease" if keeper.held() else "standby",
                 extra={"event": "service_started", "interval_seconds": self.interval_seconds,
                        "lease": "holder" if keeper.held() else "standby",
                        "backfill_pending": pending, "metrics_port": server.port if server else None})
        try:
            if not self.stop.is_set():
                scheduler.start()
        finally:
            with self._running:  # the running job commits its batch and returns
                pass
            keeper.stop()  # a standby takes over at once
            if web is not None:
                web.stop()
            if server is not None:
                server.stop()
        log.info("service stopped", extra={"event": "service_stopped"})
        return 0

    def _start_web(self) -> Any:
        """Serve the read-only web view and API when ``service.web.enabled`` (every replica)."""
        if not self.settings.service.web.enabled:
            return None
        from lineage_engine.web.server import BackgroundServer

        web = BackgroundServer(self.settings)
        log.info("web view and API on %s (read-only%s)", web.url, "; token required" if self.settings.web_token else "",
                 extra={"event": "web_started", "host": web.host, "port": web.port})
        return web

    def _start_endpoint(self) -> MetricsServer | None:
        monitoring = self.settings.monitoring
        if monitoring.metrics_port is None:
            return None
        try:
            server = MetricsServer(monitoring.metrics_host, monitoring.metrics_port, self.metrics, self.health)
        except OSError as exc:
            from lineage_engine.errors import ConfigError

            raise ConfigError("monitoring.metrics_port", f"cannot listen on {monitoring.metrics_host}:"
                              f"{monitoring.metrics_port} ({exc.strerror}); choose another port, 0 for any "
                              "free port, or null to turn the endpoint off") from None
        log.info("health and metrics on http://%s:%d/healthz and /metrics", server.host, server.port,
                 extra={"event": "endpoint_started", "host": server.host, "port": server.port})
        return server.start()


def run_service(settings: Settings, *, once: bool = False, console: object | None = None,
                window_progress: Callable[[int, int], None] | None = None) -> int:
    """Run the service until a signal (or every job once); return the exit code.

    Installs SIGTERM and SIGINT handlers for the duration (see :meth:`Service.request_stop`).

    Raises:
        ConfigError: the metrics port cannot be bound, or the configuration is unusable.
    """
    service = Service(settings, console=console, window_progress=window_progress)
    previous = {sig: signal.signal(sig, service.request_stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        return service.run_once() if once else service.run_forever()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        sys.stdout.flush()
