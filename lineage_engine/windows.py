"""Windowed crawls: backfill and catch-up one END_TIME day at a time (issue 3).

``crawl_windows`` runs :func:`lineage_engine.pipeline.crawl_once` over a windowed source
(Snowflake) one END_TIME window at a time, oldest first, and after each window commits the
window's end as the watermark, so a restart after any crash begins at the first uncommitted
window.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Protocol

from lineage_engine.graph.store import GraphStore
from lineage_engine.model import Watermark
from lineage_engine.parsing.schema import SchemaProvider
from lineage_engine.pipeline import CrawlOptions, CrawlReport, ParseCache, crawl_once
from lineage_engine.registry.repository import Registry
from lineage_engine.sources.base import QueryHistorySource

BACKFILL_WINDOW = timedelta(days=1)
"""Backfill and catch-up read query history one UTC day at a time (reference §0) unless
``telemetry.backfill_window_days`` says more; one day behind or more is a backfill."""
RETENTION = timedelta(days=365)
"""Snowflake keeps 365 days of ACCOUNT_USAGE query history (reference §1)."""


class WindowedSource(QueryHistorySource, Protocol):
    """A source that can be limited to an END_TIME window (the Snowflake source)."""

    def in_window(self, start: datetime, end: datetime) -> QueryHistorySource:
        """Return the same source (same key) limited to END_TIME in ``[start, end)``."""


@dataclass(frozen=True, slots=True)
class CrawlWindow:
    """An END_TIME window ``[start, end)`` of query history, aware UTC."""

    start: datetime
    end: datetime

    def __str__(self) -> str:
        return f"[{self.start.isoformat()}, {self.end.isoformat()})"


def floor_day(moment: datetime) -> datetime:
    """Return midnight UTC of the day of ``moment``."""
    return moment.astimezone(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)


def plan_windows(watermark: Watermark | None, *, now: datetime, lag: timedelta, backfill_days: int,
                 window_days: int = 1) -> list[CrawlWindow]:
    """Return the windows from the watermark to ``now - lag``, oldest first.

    Without a watermark the first window starts at midnight UTC ``backfill_days`` before
    ``now``. Windows end at UTC midnights ``window_days`` after the midnight of their start
    (``telemetry.backfill_window_days``; the first may start mid-day, at the watermark; the
    last ends at ``now - lag``). A resumed backfill starts at the watermark: with windows of
    several days its windows need not line up with the first run's (each still ends at a
    midnight; nothing is read twice or skipped). Steady state (watermark minutes behind) is
    one short window.

    Raises:
        ValueError: ``window_days`` below 1.
    """
    if window_days < 1:
        raise ValueError(f"window_days must be at least 1, not {window_days}")
    span = BACKFILL_WINDOW * window_days
    end = now - lag
    start = watermark.end_time if watermark is not None and watermark.end_time is not None else floor_day(now - timedelta(days=backfill_days))
    windows: list[CrawlWindow] = []
    while start < end:
        stop_at = min(floor_day(start) + span, end)
        windows.append(CrawlWindow(start, stop_at))
        start = stop_at
    return windows


def is_backfill(watermark: Watermark | None, windows: list[CrawlWindow]) -> bool:
    """Return True when the crawl starts without a watermark or more than one day behind
    (:data:`BACKFILL_WINDOW`, whatever ``backfill_window_days``)."""
    return watermark is None or (bool(windows) and windows[-1].end - windows[0].start > BACKFILL_WINDOW)


def outside_retention(windows: list[CrawlWindow], now: datetime) -> list[CrawlWindow]:
    """Return the windows that start before Snowflake's 365-day retention (they read less)."""
    return [w for w in windows if w.start < now - RETENTION]


def advance_watermark(registry: Registry, source_key: str, end: datetime) -> Watermark:
    """Mark everything before ``end`` as merged: the watermark becomes ``(end, "")`` if later.

    ``(end, "")`` sorts before every real row at ``end`` (query ids are never empty), so a
    half-open window ``[start, end)`` is complete exactly when the watermark reaches it. The
    resolver state stored with the watermark is kept.
    """
    mark, _ = registry.get_crawl_state(source_key)
    if mark is not None and mark.end_time is not None and (mark.end_time, mark.query_id) >= (end, ""):
        return mark
    new = Watermark(source=source_key, end_time=end, query_id="", rows_total=mark.rows_total if mark else 0)
    registry.set_watermark(new)
    return new


@dataclass
class WindowsReport:
    """What :func:`crawl_windows` did, window by window.

    Attributes:
        planned: windows planned for this run, oldest first.
        completed: windows merged and committed, each with its crawl report.
        failed: the window whose crawl raised (``error``); it and later ones stay pending.
        stopped: a stop request ended the run after a commit; the current window stays
            pending, its committed part is in ``partial``.
    """

    planned: list[CrawlWindow]
    completed: list[tuple[CrawlWindow, CrawlReport]] = field(default_factory=list)
    failed: CrawlWindow | None = None
    error: Exception | None = None
    stopped: bool = False
    partial: CrawlReport | None = None

    def total(self, source: str) -> CrawlReport:
        """Return the sum of the completed windows' reports and the stopped window's part."""
        total = CrawlReport(source=source)
        reports = [r for _, r in self.completed] + ([self.partial] if self.partial else [])
        for report in reports:
            for name in ("rows_read", "statements_parsed", "cache_hits", "events", "quarantined",
                         "unresolved_temp_reads", "late_rows", "late_temps", "late_definitions", "batches", "enriched"):
                setattr(total, name, getattr(total, name) + getattr(report, name))
            total.merge += report.merge
            total.skipped.update(report.skipped)
            total.unclassified.update(report.unclassified)
            total.elapsed_seconds += report.elapsed_seconds
            total.watermark = report.watermark or total.watermark
        total.stopped = self.stopped
        return total


def crawl_windows(
    source: WindowedSource,
    store: GraphStore,
    registry: Registry,
    options: CrawlOptions,
    windows: list[CrawlWindow],
    *,
    attempt: Callable[[Callable[[], CrawlReport], CrawlWindow], CrawlReport] = lambda crawl, _window: crawl(),
    on_window: Callable[[int, CrawlWindow, CrawlReport], None] | None = None,
    stop: Callable[[], bool] | None = None,
    catalog: SchemaProvider | None = None,
) -> WindowsReport:
    """Crawl ``windows`` in order: each merged (batches as :func:`crawl_once`), then its end committed.

    Per window: :func:`crawl_once` over ``source.in_window(...)`` (graph commit, then
    watermark + resolver state, batch by batch), then :func:`advance_watermark` to the
    window's end. A crash anywhere resumes at the first window not fully committed, after
    the last committed row (keyset), so a killed backfill re-run ends with the same graph.

    Args:
        attempt: runs one window's crawl (given the crawl and its window), e.g. with
            retries (:mod:`lineage_engine.retry`).
        on_window: called with (index, window, report) after each committed window.
        stop: checked between rows and windows; see :func:`crawl_once`.
        catalog: the warehouse's current columns, shared by every window (loaded once per
            run by the caller); see :func:`crawl_once`.

    Returns:
        The :class:`WindowsReport`. A window whose crawl raised ends the run: the error is
        returned in ``error`` (not raised), the window stays pending for the next run.
    """
    report = WindowsReport(planned=list(windows))
    cache = ParseCache.for_options(options)  # repeats across days are parsed once per run
    for index, window in enumerate(windows):
        if stop is not None and stop():
            report.stopped = True
            break
        view = source.in_window(window.start, window.end)
        try:
            result = attempt(lambda view=view: crawl_once(view, store, registry, options, stop=stop, parse_cache=cache,
                                                          catalog=catalog), window)
        except Exception as exc:  # noqa: BLE001 - handed back: the caller alerts and re-raises
            report.failed, report.error = window, exc
            break
        if result.stopped:
            report.partial, report.stopped = result, True
            break
        advance_watermark(registry, source.key, window.end)
        report.completed.append((window, result))
        if on_window is not None:
            on_window(index, window, result)
    return report


