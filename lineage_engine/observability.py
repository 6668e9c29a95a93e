"""Structured logs, Prometheus metrics and the ``/healthz`` + ``/metrics`` endpoint of ``run``.

Logs: one line per record on stderr, ``text`` (``time level logger message key=value ...``)
or ``json`` (one object per line) as ``monitoring.log_format`` says. Fields come from the
``extra`` mapping of a log call. Nothing logged here or by callers holds query text or a
secret: callers pass counts, ids and positions only. The Snowflake driver logs each
statement it runs at INFO, so its loggers are raised to WARNING.

Metrics (own registry, prometheus-client text format), all prefixed ``lineage_engine_``:
``last_successful_crawl_timestamp_seconds``, ``rows_read_total``,
``statements_parsed_total``, ``statements_quarantined_total``, ``edges_merged_total{change}``
(created | updated | closed), ``findings_open``, ``alert_delivery_failures_total``,
``job_runs_total{job,outcome}`` and ``job_duration_seconds{job}``.

Health: ``GET /healthz`` answers 200 with a JSON body while the service is healthy, 503
when the last crawl failed (after its retries) or the service is stopping.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
import time
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}
_QUIET = {"snowflake": logging.ERROR, "urllib3": logging.ERROR, "botocore": logging.ERROR,
          "filelock": logging.ERROR, "alembic": logging.WARNING, "apscheduler": logging.WARNING}
"""Library loggers and their floor: the driver logs each statement and HTTP retry, Alembic and
APScheduler each migration check and job hand-off, which our own job lines already say."""


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    return {k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")}


def _utc(created: float) -> str:
    return datetime.fromtimestamp(created, timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ``ts`` (UTC), ``level``, ``logger``, ``message`` and the extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {"ts": _utc(record.created), "level": record.levelname, "logger": record.name,
                                   "message": record.getMessage(), **_fields(record)}
        if record.exc_info and record.exc_info[0] is not None:
            payload["error_type"] = record.exc_info[0].__name__
        return json.dumps(payload, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """``2026-11-21T08:00:00.000Z INFO logger message key=value ...``."""

    def format(self, record: logging.LogRecord) -> str:
        extra = " ".join(f"{k}={v}" for k, v in _fields(record).items())
        line = f"{_utc(record.created)} {record.levelname} {record.name} {record.getMessage()}"
        return f"{line} {extra}" if extra else line


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Write to the *current* ``sys.stderr``, so a Rich progress bar can redirect it."""

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass


def configure_logging(log_format: str = "text", level: str = "INFO") -> None:
    """Route lineage-engine and library logs to stderr in the given format; idempotent.

    Args:
        log_format: ``text`` or ``json`` (``monitoring.log_format``).
        level: ``monitoring.log_level``.
    """
    handler = _StderrHandler()
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _StderrHandler)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name, floor in _QUIET.items():
        logging.getLogger(name).setLevel(max(floor, logging.getLevelName(level)))


class Metrics:
    """The service's Prometheus metrics, in their own registry (safe to create per test)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.last_successful_crawl = Gauge("lineage_engine_last_successful_crawl_timestamp_seconds",
                                           "Unix time (UTC) of the last crawl that finished without error.", registry=r)
        self.rows_read = Counter("lineage_engine_rows_read_total", "Query-history rows read.", registry=r)
        self.statements_parsed = Counter("lineage_engine_statements_parsed_total",
                                         "Statements parsed (cache hits included).", registry=r)
        self.statements_quarantined = Counter("lineage_engine_statements_quarantined_total",
                                              "Rows and statements sent to quarantine.", registry=r)
        self.edges_merged = Counter("lineage_engine_edges_merged_total", "Lineage edge intervals merged.",
                                    ["change"], registry=r)
        self.findings_open = Gauge("lineage_engine_findings_open", "Open exposure findings after the last scan.",
                                   registry=r)
        self.alert_delivery_failures = Counter("lineage_engine_alert_delivery_failures_total",
                                               "Alert sends that failed (the alert stays in the outbox).", registry=r)
        self.job_runs = Counter("lineage_engine_job_runs_total", "Scheduled job runs.", ["job", "outcome"], registry=r)
        self.job_duration = Histogram("lineage_engine_job_duration_seconds", "Job run time in seconds.", ["job"],
                                      registry=r, buckets=(0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600))

    def record_crawl(self, report: Any) -> None:
        """Add one crawl's counts (a :class:`~lineage_engine.pipeline.CrawlReport`)."""
        self.rows_read.inc(report.rows_read)
        self.statements_parsed.inc(report.statements_parsed)
        self.statements_quarantined.inc(report.quarantined)
        self.edges_merged.labels("created").inc(report.merge.edges_created)
        self.edges_merged.labels("updated").inc(report.merge.edges_updated)
        self.edges_merged.labels("closed").inc(report.merge.edges_closed)

    def render(self) -> bytes:
        """Return the Prometheus text exposition of every metric."""
        return generate_latest(self.registry)


class Health:
    """What ``/healthz`` reports; updated by the scheduler's jobs (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.started_at = time.time()
        self.state = "starting"
        self.last_crawl_ok: bool | None = None
        self.last_successful_crawl: float | None = None
        self.last_error: str | None = None
        self.jobs: dict[str, dict[str, Any]] = {}
        self.lease: str | None = None  # "holder" or "standby" (lineage_engine.lease); None before the first claim

    def job_finished(self, job: str, ok: bool, error: str | None = None) -> None:
        """Record the outcome of one job run (``crawl`` and ``backfill`` drive the status)."""
        with self._lock:
            now = time.time()
            self.jobs[job] = {"ok": ok, "at": _utc(now), **({"error": error} if error else {})}
            if job in ("crawl", "backfill"):
                self.last_crawl_ok = ok
                self.last_error = None if ok else error
                if ok:
                    self.last_successful_crawl = now

    def snapshot(self) -> tuple[int, dict[str, Any]]:
        """Return ``(HTTP status, JSON body)``: 503 when stopping or the last crawl failed."""
        with self._lock:
            healthy = self.state in ("starting", "running") and self.last_crawl_ok is not False
            body = {
                "status": "ok" if healthy else "unhealthy",
                "state": self.state,
                "last_successful_crawl": _utc(self.last_successful_crawl) if self.last_successful_crawl else None,
                "last_crawl_error": self.last_error,
                "jobs": dict(self.jobs),
                "lease": self.lease,
            }
        return (200 if healthy else 503), body


class MetricsServer:
    """``/healthz`` and ``/metrics`` over HTTP on a local port, in a daemon thread.

    Args:
        host: bind address (``monitoring.metrics_host``, default 127.0.0.1: not exposed).
        port: ``monitoring.metrics_port``; 0 picks a free port (see :attr:`port`).

    Raises:
        OSError: the port cannot be bound (in use, or not permitted).
    """

    def __init__(self, host: str, port: int, metrics: Metrics, health: Health) -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                if self.path.split("?")[0] == "/metrics":
                    self._send(200, metrics.render(), CONTENT_TYPE_LATEST)
                elif self.path.split("?")[0] in ("/healthz", "/health"):
                    status, body = health.snapshot()
                    self._send(status, json.dumps(body).encode(), "application/json")
                else:
                    self._send(404, b"not found: try /healthz or /metrics\n", "text/plain")

            def _send(self, status: int, body: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - silence access logs
                pass

        self._server = ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
        self.host, self.port = host, int(self._server.server_address[1])
        self._thread = threading.Thread(target=self._server.serve_forever, name="metrics-http", daemon=True)

    def start(self) -> MetricsServer:
        """Start serving; return self."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port; idempotent."""
        if self._thread.is_alive():
            self._server.shutdown()
        self._server.server_close()
