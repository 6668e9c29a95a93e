"""The ``lineage-engine`` command line: parse arguments, call one function, render output.

No logic here: each command calls :mod:`lineage_engine.services` (or the trace/registry API)
and renders the result. Errors of the :class:`LineageEngineError` family print one line that
says what failed and what to do, and exit 2 for configuration and input errors, 1 otherwise.
"""

from __future__ import annotations

import importlib
import json
import logging
import shlex
import signal
import sys
import threading
from datetime import datetime
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer
from rich.console import Console

from lineage_engine import __version__
from lineage_engine.errors import ConfigError, InputError, LineageEngineError, RegistryNotFoundError
from lineage_engine.outfile import check_output, open_output, require_file
from lineage_engine.output import (
    FORMATS,
    check_format,
    flow_order,
    json_lines,
    plain,
    write_rows_csv,
    rows_table,
    write_rows_json,
)
from lineage_engine.profiling import NO_PROFILE, Profile  # stdlib only
from lineage_engine.suggest import check_choice


class _LazyModule:
    """A module imported on first attribute access (keeps ``--help`` free of SQLAlchemy and drivers)."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        module: ModuleType = importlib.import_module(self._name)
        return getattr(module, attr)


if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Sequence

    from lineage_engine import services
    from lineage_engine.model import ExposurePath, Watermark
    from lineage_engine.scan import ScanReport
    from lineage_engine.settings import Settings
else:
    # Start-up speed: `--help`, `--version` and `trace --list` must not import the registry
    # (SQLAlchemy, Alembic), the graph drivers or the Snowflake connector (tests/test_cli_imports.py).
    services = _LazyModule("lineage_engine.services")

app = typer.Typer(
    name="lineage-engine",
    help="Data lineage from warehouse query history, with masking-aware PII exposure paths.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
export_app = typer.Typer(help="Export lineage as data.", no_args_is_help=True)
openlineage_app = typer.Typer(help="OpenLineage run events received from other producers (issue 16).",
                              no_args_is_help=True)
registry_app = typer.Typer(help="The classification registry: import and list assets.", no_args_is_help=True)
lineage_app = typer.Typer(help="Extract lineage from SQL corpora (JSON Lines in, JSON Lines out).",
                          no_args_is_help=True)
app.add_typer(export_app, name="export")
app.add_typer(registry_app, name="registry")
app.add_typer(lineage_app, name="lineage")
app.add_typer(openlineage_app, name="openlineage")

console = Console()

FormatOption = Annotated[str, typer.Option("--format", "-f", help=f"Output: {' | '.join(FORMATS)}.")]
"""``--format table|json|csv``: the option of every command that prints rows."""


def emit_rows(rows: Iterable[dict[str, Any]], fmt: str, title: str) -> None:
    """Print rows as a table (fits the terminal; ids wrap on dots), a JSON array or CSV on stdout.

    JSON and CSV are written a row at a time (``rows`` may be a generator); no rows in a table
    print ``TITLE: none``.
    """
    fmt = check_format(fmt)
    if fmt == "json":
        write_rows_json(rows, sys.stdout)
        sys.stdout.write("\n")
    elif fmt == "csv":
        write_rows_csv(rows, sys.stdout)
    else:
        items = list(rows)
        if not items:  # an empty table prints nothing at all: say so
            console.print(f"{title or 'Rows'}: none", markup=False)
            return
        console.print(rows_table(items, title=title))


class _State:
    config: Optional[Path] = None
    settings: Optional[Settings] = None


state = _State()


def settings() -> Settings:
    """Load the configuration once per invocation (fails fast with the key path)."""
    if state.settings is None:
        from lineage_engine.settings import load_settings

        state.settings = load_settings(state.config)
    return state.settings


def masked_url(url: str) -> str:
    """Return a database URL with its password hidden."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - a malformed URL must still not leak
        return "<registry url>"


def parse_as_of(value: Optional[str]) -> Optional[datetime]:
    """Parse ``--as-of`` (ISO 8601; no offset means UTC).

    Raises:
        InputError: not an ISO 8601 timestamp.
    """
    from lineage_engine.sources.rows import RowError, parse_timestamp

    if value is None:
        return None
    try:
        return parse_timestamp(value, "--as-of")
    except RowError:
        raise InputError("--as-of", f"'{value}' is not ISO 8601; write e.g. 2026-11-14 or 2026-11-14T09:30:00Z") from None


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"lineage-engine {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    config: Annotated[
        Optional[Path],
        typer.Option("--config", "-c", envvar="LINEAGE_ENGINE_CONFIG", help="Config file (default: ./lineage-engine.config.yaml, else the shipped default)."),
    ] = None,
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.", is_eager=True,
                                          callback=_print_version)] = False,
) -> None:
    """Data lineage from warehouse query history, with masking-aware PII exposure paths."""
    state.config = config
    state.settings = None


@app.command()
def migrate() -> None:
    """Create or upgrade the graph schema and the registry tables (idempotent)."""
    s = settings()
    services.migrate(s)
    console.print(f"[green]migrated[/] graph ({s.graph.type}: {s.graph.path if s.graph.type == 'embedded' else s.graph.uri}) "
                  f"and registry ({masked_url(s.registry_url)})")


def _crawl(s: Settings, path: Optional[Path], stop: Optional[threading.Event] = None,
           profile: Optional[Profile] = None) -> services.CrawlOutcome:
    show_bar = console.is_terminal
    extra = {"profile": profile} if profile is not None else {}
    if not show_bar:
        return services.crawl(s, path_override=path, stop=stop, console=console, **extra)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=console, transient=True) as bar:
        task = bar.add_task("crawling query history", total=None)

        def windows(done: int, total: int) -> None:  # Snowflake: one step per one-day window
            bar.update(task, completed=done, total=total, description="crawling query history, day windows")

        return services.crawl(s, path_override=path, progress=lambda n: bar.update(task, completed=n),
                              window_progress=windows, stop=stop, console=console, **extra)


def describe_watermark(mark: Watermark) -> str:
    """Return a watermark as one line: a file's line and byte offset, else ``end_time / query_id``."""
    last = f"{mark.end_time.isoformat()} / {mark.query_id}" if mark.end_time is not None else "no row read yet"
    if mark.position and mark.position.get("kind") == "file":
        return f"line {mark.position.get('line')} (byte {mark.position.get('offset')}); last row {last}"
    return last


def _print_crawl(outcome: services.CrawlOutcome) -> None:
    r = outcome.report
    skipped = sum(r.skipped.values())
    console.print(
        f"[green]crawled[/] {r.rows_read} rows in {r.elapsed_seconds:.1f} s: {r.statements_parsed} statements parsed "
        f"({r.cache_hits} repeats from cache), {skipped} skipped, {r.events} lineage events, "
        f"{r.merge.edges_created} edges opened, {r.merge.edges_updated} re-observed, {r.merge.edges_closed} closed, "
        f"{r.merge.datasets_created} new datasets"
    )
    console.print(f"  column edges: {r.merge.column_edges_created} opened, {r.merge.column_edges_updated} re-observed, "
                  f"{r.merge.column_edges_closed} closed")
    if r.skipped:
        console.print("  skipped: " + ", ".join(f"{reason} {n}" for reason, n in r.skipped.most_common()))
    if r.unclassified:  # review D3: a kind of statement never classified is said, not skipped silently
        console.print(f"  {sum(r.unclassified.values())} rows of QUERY_TYPEs never classified were not read "
                      "(quarantined as unclassified_query_type; report a type if it writes data): "
                      + ", ".join(f"{t} {n}" for t, n in sorted(r.unclassified.items(), key=lambda x: (-x[1], x[0]))),
                      style="yellow", markup=False)
    if r.parses_stored:  # a history read again: extraction results stored by an earlier crawl (issue 13)
        console.print(f"  read again: {r.parses_stored} statements not parsed (their results were stored by an "
                      "earlier crawl)" + (f", {r.policies_stored} governance texts not read again"
                                          if r.policies_stored else ""))
    if r.reads:  # issue 14: access facts ('lineage-engine access')
        console.print(f"  reads kept: {r.reads} statements ({r.reads_new} new, {r.reads - r.reads_new} already recorded)")
    console.print(
        f"  quarantined: {r.quarantined} this crawl, {outcome.quarantined_total} in total "
        "(see 'lineage-engine quarantine')"
    )
    if r.merge.events_late:
        console.print(f"  [yellow]{r.merge.events_late} lineage events merged out of END_TIME order: they ended before "
                      "the last event already applied to their dataset and were folded into the past (see README, "
                      "\"Late rows\")[/]")
    if r.merge.events_inexact:
        console.print(f"  [yellow]{r.merge.events_inexact} late replacing, DROP, RENAME or SWAP events could not be "
                      "applied exactly: edges they would have closed were observed since and are kept (lineage may "
                      "over-report there, never under-report)[/]")
    if r.merge.events_skipped:
        console.print(f"  [yellow]{r.merge.events_skipped} lineage events not merged: at or before the last event "
                      "already applied to their dataset, and already in the graph (read again after a crash or "
                      "--reset-watermark)[/]")
    if r.internal_errors:
        console.print(f"  [yellow]{r.internal_errors} statements hit an unexpected error and were quarantined as "
                      "internal_error (please report them; the crawl went on)[/]")
    if r.unresolved_temp_reads:
        console.print(f"  [yellow]{r.unresolved_temp_reads} reads of temporary objects created before this crawl "
                      "could not be resolved[/]")
    if r.late_definitions:
        console.print(f"  [yellow]{r.late_definitions} statements defining a dataset's columns (CREATE, CTAS, RENAME, "
                      "SWAP, DROP) ended before a statement already read that named the dataset (rows out of "
                      "END_TIME order): column lineage between them was read with the columns of file order and "
                      "may name columns wrongly (export the history ORDER BY END_TIME for exact columns)[/]")
    if r.late_temps:
        console.print(f"  [yellow]{r.late_temps} statements read a temporary object that a row read after them created "
                      "earlier (rows out of END_TIME order): their lineage through the temp is added at their positions; "
                      "their edges from a permanent object of that name are kept (superset; export the history ORDER "
                      "BY END_TIME for exact lineage)[/]")
    if r.late_rows:
        console.print(f"  [yellow]{r.late_rows} rows came more than telemetry.session_idle_hours after a later row: "
                      "temporary objects of their sessions were judged in the order read (export the history "
                      "ORDER BY END_TIME for exact temp-table resolution)[/]")
    if outcome.windows is not None:
        w = outcome.windows
        console.print(f"  windows: {len(w.completed)} of {len(w.planned)} committed"
                      + (" (backfill)" if outcome.backfill else ""))
    if r.stopped:
        console.print("  [yellow]stopped by a signal after committing the rows read; run crawl again to go on[/]")
    if r.watermark:
        console.print(f"  watermark: {describe_watermark(r.watermark)}")
    for extra in outcome.extra:  # telemetry.extra_sources (issue 16)
        _print_source(extra)
    console.print(f"  classification sync: {outcome.nodes_synced} nodes updated")


def _print_source(r: services.CrawlReport) -> None:
    """Print what one of ``telemetry.extra_sources`` (or a dbt source) did, in two or three lines."""
    console.print(f"[green]crawled[/] {r.source}: {r.rows_read} rows, {r.statements_parsed} statements parsed, "
                  f"{r.events} lineage events, {r.merge.edges_created} edges opened, {r.merge.edges_updated} "
                  f"re-observed, {r.merge.edges_closed} closed; column edges: {r.merge.column_edges_created} opened, "
                  f"{r.merge.column_edges_updated} re-observed, {r.merge.column_edges_closed} closed; "
                  f"{r.quarantined} quarantined")
    if r.skipped:
        console.print("  skipped: " + ", ".join(f"{reason} {n}" for reason, n in r.skipped.most_common()))
    if r.unclassified:  # review D3: a kind of statement never classified is said, not skipped silently
        console.print(f"  {sum(r.unclassified.values())} rows of QUERY_TYPEs never classified were not read "
                      "(quarantined as unclassified_query_type; report a type if it writes data): "
                      + ", ".join(f"{t} {n}" for t, n in sorted(r.unclassified.items(), key=lambda x: (-x[1], x[0]))),
                      style="yellow", markup=False)
    if r.watermark:
        console.print(f"  watermark: {describe_watermark(r.watermark)}")


@app.command()
def crawl(
    path: Annotated[Optional[Path], typer.Option("--path", help="Crawl this query-history file instead of telemetry.path.")] = None,
    profile: Annotated[bool, typer.Option("--profile", help="Print where the crawl spent its time: seconds (wall and "
                                          "CPU) per kind of work and per graph statement.")] = False,
    reset_watermark: Annotated[bool, typer.Option("--reset-watermark", help="Forget the source's watermark first and "
                                                  "read it again from the start (the graph is kept).")] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask before --reset-watermark.")] = False,
) -> None:
    """Crawl query history from the watermark into the graph (one pass), then sync classifications."""
    if path is not None:
        require_file(path, "--path", "a query-history export (JSON Lines or CSV)")
    if reset_watermark:
        _reset_watermark(settings(), path, ask=not yes)
    from lineage_engine.observability import configure_logging

    s = settings()
    configure_logging(s.monitoring.log_format, "WARNING")  # retries and retention warnings
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        outcome = _crawl(s, path, stop, Profile() if profile else None)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    _print_crawl(outcome)
    if outcome.report.profile is not None:
        console.print(rows_table(outcome.report.profile.rows(), title="Where the crawl spent its time "
                                 "(seconds; CPU of this process, parse workers excluded)"))


def _reset_watermark(s: Settings, path: Optional[Path], *, ask: bool) -> None:
    key = services.query_history_source(s, path).key
    try:
        confirmed = not ask or typer.confirm(f"Forget the watermark of {key} and read it again from its start? The "
                                             "graph is kept: lineage already merged is recognised, not doubled",
                                             err=True)
    except typer.Abort:  # no answer (stdin closed)
        confirmed = False
    if not confirmed:
        _print_error("--reset-watermark: not confirmed; nothing changed (add --yes to skip the question)")
        raise typer.Exit(1)
    key, existed = services.reset_watermark(s, path)
    console.print(f"watermark of {key} {'reset' if existed else 'was not set'}: reading from the start", markup=False)


class _WindowBar:
    """A progress bar on stderr for the backfill windows of ``run`` (in a terminal only)."""

    def __init__(self) -> None:
        self.progress: Any = None  # a rich.progress.Progress while the bar shows
        self.task: Optional[int] = None

    def __call__(self, done: int, total: int) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        if done == 0 and total > 1 and self.progress is None:
            self.progress = Progress(SpinnerColumn(), TextColumn("backfill, day windows"), BarColumn(),
                                     MofNCompleteColumn(), TimeElapsedColumn(), console=Console(stderr=True),
                                     transient=True)
            self.progress.start()
            self.task = self.progress.add_task("backfill", total=total)
        if self.progress is not None and self.task is not None:
            self.progress.update(self.task, completed=done)
            if done >= total:
                self.progress.stop()
                self.progress = None


@app.command()
def run(
    once: Annotated[bool, typer.Option("--once", help="Run every job once, then exit (cron, Kubernetes jobs).")] = False,
) -> None:
    """Run the service in the foreground: backfill, crawls, scans, classification sync, steward checks.

    Stops gracefully on SIGTERM or SIGINT (after the current batch commits). Health and
    metrics: http://127.0.0.1:9464/healthz and /metrics (monitoring.metrics_port).
    """
    from lineage_engine.observability import configure_logging
    from lineage_engine.scheduler import run_service

    s = settings()
    configure_logging(s.monitoring.log_format, s.monitoring.log_level)
    bar = _WindowBar() if sys.stderr.isatty() and s.monitoring.log_format == "text" else None
    raise typer.Exit(run_service(s, once=once, console=console, window_progress=bar))


def _print_scan(report: ScanReport, destination: str, limit: int = 0) -> None:
    """Print the scan's counts, coverage notes, the ``limit`` most severe paths (0: all) and closed windows."""
    outcome = report.outcome
    from collections import Counter

    kinds = Counter(p.kind for p in report.paths)  # exposure | egress | boundary (issue 14)
    extra = "".join(f", {kinds[k]} {label}" for k, label in (("egress", "egress"), ("boundary", "boundary crossings"))
                    if kinds[k])
    console.print(
        f"[green]scanned[/] {len(report.origins)} sensitive origins: {kinds['exposure']} exposure paths{extra}; "
        f"findings {len(outcome.opened)} opened, {len(outcome.resolved)} resolved, "
        f"{len(outcome.still_open)} still open; alerts to {destination}: {report.delivery.delivered} delivered, "
        f"{report.delivery.failed} failed, {report.delivery.pending} pending"
    )
    delivery = report.delivery
    if delivery.deferred or delivery.rate_limited_for or delivery.uncertain:
        console.print(f"  [yellow]alerts: {delivery.deferred} left for the next run (monitoring.alert_budget_seconds "
                      f"or Slack's Retry-After {delivery.rate_limited_for:g} s); {delivery.uncertain} sent again after "
                      "a post whose outcome was unknown (may show twice)[/]")
    if report.origins_missing_from_graph:
        console.print("  [yellow]not in the graph (no lineage seen yet):[/] " + ", ".join(report.origins_missing_from_graph))
    for note in report.notes:
        console.print(f"  {note}", markup=False)
    if report.paths:
        rows = [
            {"severity": p.severity, "origin": p.origin, "terminal": p.terminal, "hops": p.hops,
             "tags": ", ".join(p.regulatory_tags), "level": p.level, "exposure": p.exposure,
             "steward": p.steward or "(none)", **({"kind": p.kind + (f" ({p.rule})" if p.rule else "")}
                                                 if len(kinds) > 1 else {})}
            for p in (report.paths[:limit] if limit else report.paths)
        ]
        console.print(rows_table(rows, title="Unmasked exposure paths (full paths: lineage-engine findings, trace unmasked_pii_paths)"))
        _not_shown(len(report.paths), limit, "lineage-engine findings --status open --format csv (the ledger), "
                   "or lineage-engine scan --format json (a new scan)")
    _print_windows(report.windows, "resolved", "masked since; resolved, not alerted")


def _print_windows(windows: Sequence[ExposurePath], label: str, tail: str) -> None:
    """Print closed windows (paths to terminals masked after the data arrived, issue 10 §2), one line
    each: ``LABEL: ORIGIN → TERMINAL unmasked from T1 to T2 (TAIL)``, UTC."""
    for window in windows:
        start = window.unmasked_from.isoformat().replace("+00:00", "Z") if window.unmasked_from else "an unknown time"
        end = window.unmasked_to.isoformat().replace("+00:00", "Z") if window.unmasked_to else ""
        console.print(f"  {label}: {window.origin} → {window.terminal} unmasked from {start} to {end} ({tail})",
                      markup=False)


def opened_by_text(opened_by: object) -> str:
    """Return a finding's opening statement as ``query_id (QUERY_TYPE, by user as role, at)``."""
    if not isinstance(opened_by, dict) or not opened_by.get("query_id"):
        return ""
    who = " as ".join(str(v) for v in (opened_by.get("user"), opened_by.get("role")) if v)
    tail = ", ".join(str(v) for v in (f"by {who}" if who else None, opened_by.get("at")) if v)
    return f"{opened_by['query_id']} ({opened_by.get('query_type') or '?'}{', ' + tail if tail else ''})"


def exposure_rows(paths: Iterable[ExposurePath], explanations: dict[tuple[str, str], dict[str, Any]],
                  fmt: str) -> Iterator[dict[str, object]]:
    """Yield exposure paths as output rows; ``path`` runs origin first, terminal last.

    JSON rows carry the explanation (``opened_by`` and ``edges``: the hops origin first, with
    transforms and statements); table and CSV rows the opening statement as text. JSON and CSV
    rows also carry the path's ``note`` (why it is an exposure where that is not plain, e.g. a
    tag policy of another data type; None/empty otherwise), as the findings ledger does.
    """
    for p in paths:
        why = explanations.get((p.origin, p.terminal)) or {}
        row: dict[str, object] = {"severity": p.severity, "origin": p.origin, "terminal": p.terminal,
                                  "level": p.level, "exposure": p.exposure, "hops": p.hops,
                                  "tags": list(p.regulatory_tags),
                                  "steward": p.steward, "path": flow_order(p.path)}
        if fmt == "json":
            row["opened_by"] = why.get("opened_by")
            row["edges"] = why.get("hops") or []
        else:
            row["opened_by"] = opened_by_text(why.get("opened_by"))
        if fmt != "table":  # why it is an exposure where that is not plain (review s15 T9: the ledger had it, scan not)
            row["note"] = p.note or None
        yield row


DEFAULT_SCAN_LIMIT = 50
"""Exposure paths ``scan`` prints in its table by default (``--limit``): the most severe."""


def _not_shown(total: int, limit: int, every: str) -> None:
    """Print how many paths the table left out (``--limit``) and the commands that list them all."""
    if limit and total > limit:
        console.print(f"  {total - limit:,} more exposure paths not shown: the table lists the {limit} most severe "
                      f"(--limit N, 0 for all); every one: {every}", markup=False)


@app.command()
def scan(
    as_of: Annotated[Optional[str], typer.Option("--as-of", help="Answer the exposure as of this instant (ISO 8601, "
                                                 "UTC): lineage and registry facts of then; read-only, the findings "
                                                 "ledger and the alert outbox are not touched.")] = None,
    format: Annotated[str, typer.Option("--format", "-f", help="table | json | csv (json and csv print the "  # noqa: A002
                                        "exposure paths only; what the answer could not see goes to "
                                        "stderr)")] = "table",
    profile: Annotated[bool, typer.Option("--profile", help="Print where the scan spent its time: seconds (wall and "
                                          "CPU) per stage, and the peak RSS, on stderr.")] = False,
    limit: Annotated[int, typer.Option("--limit", min=0, help="Table: print the N most severe exposure paths and "
                                       "count the rest (0: all). json and csv always print every path.")]
    = DEFAULT_SCAN_LIMIT,
) -> None:
    """Find unmasked exposure paths, update the findings ledger, deliver new alerts (or, with --as-of, only answer).

    Exits 1 when an alert could not be delivered (it stays pending for the next scan).
    """
    fmt = check_format(format)
    when = parse_as_of(as_of)
    if when is not None:
        exposure = services.scan_as_of(settings(), when)
        if fmt == "table":
            console.print(f"exposure as of {when.isoformat()}: {len(exposure.origins)} sensitive origins, "
                          f"{len(exposure.paths)} exposure paths (read-only: findings and alerts unchanged)")
            if exposure.coverage.missing_from_graph:
                console.print("  not in the graph (no lineage seen by then): "
                              + ", ".join(exposure.coverage.missing_from_graph), markup=False)
            for note in exposure.notes:
                console.print(f"  {note}", markup=False)
            _print_unmerged(settings())
        shown = exposure.paths[:limit] if fmt == "table" and limit else exposure.paths
        emit_rows(exposure_rows(shown, exposure.explanations, fmt), fmt, f"Exposure paths as of {when.isoformat()}")
        if fmt == "table":
            _not_shown(len(exposure.paths), limit, f"lineage-engine scan --as-of {when.isoformat()} --format csv (or json)")
            _print_windows(exposure.windows, "closed window", "masked by then")
        else:
            _print_notes_on_stderr(exposure.coverage.missing_from_graph, exposure.notes)
        return
    s = settings()
    timing = Profile() if profile else NO_PROFILE
    report = services.scan(s, console=console if fmt == "table" else Console(stderr=True), profile=timing)
    with timing.timed("output"):
        if fmt == "table":
            _print_scan(report, services.alert_destination(s), limit)
            _print_unmerged(s)
        else:
            emit_rows(exposure_rows(report.paths, report.explanations, fmt), fmt, "Exposure paths")
            _print_notes_on_stderr(report.origins_missing_from_graph, report.notes)
    if profile:
        _print_scan_profile(timing)
    _exit_if_undelivered(report, services.alert_destination(s))


def _print_notes_on_stderr(missing_from_graph: Sequence[str], notes: Sequence[str]) -> None:
    """Print ``scan``'s coverage notes on stderr when stdout carries its JSON or CSV: the origins not
    in the graph, what the answer could not see (quarantined rows, Time Travel reads at an unknown
    point, ...) and the quarantine count, as the table prints them. stdout stays the paths only."""
    err = Console(stderr=True)
    if missing_from_graph:
        err.print("  not in the graph (no lineage seen yet): " + ", ".join(missing_from_graph), markup=False)
    for note in notes:
        err.print(f"  {note}", markup=False)
    _print_unmerged(settings(), to=err)


def _print_unmerged(s: Settings, missing: str = "a path through one of them", *, to: Console | None = None,
                    unreadable_ok: bool = False) -> None:
    """Print how many quarantined rows and statements the crawls could not merge: ``missing``
    (what the answer may lack because of them) is missing from the answer (honest completeness),
    with where to look. Used by ``scan``, ``egress``, ``drift`` and ``boundaries`` (table format;
    ``scan`` JSON and CSV: on stderr, ``to``). With ``unreadable_ok`` (``trace``: its answer is the
    graph's, printed already) a registry that cannot be read, or does not exist (it is opened
    read-only, never created), is said so, not an error."""
    try:
        with services.registry(s, read_only=True) as reg:
            count = reg.count_quarantine()
    except LineageEngineError as error:
        if not unreadable_ok:
            raise
        why = (f"no registry was found at {error.path} (none was created; 'lineage-engine migrate' creates it)"
               if isinstance(error, RegistryNotFoundError) else f"the registry could not be read ({error})")
        (to or console).print(f"  not seen: unknown: {why}, so how many rows the crawls quarantined is not known",
                              markup=False)
        return
    if count:
        (to or console).print(f"  not seen: {count:,} quarantined rows or statements were not merged (or only their tables, "
                      f"recovered from tokens): {missing} is missing here (lineage-engine "
                      "quarantine; an evidence pack names those that may touch each origin)", markup=False)


def _print_unknown_points(count: int, what: str, untyped: int = 0) -> None:
    """Print how many lineage intervals came from Time Travel reads at a point not known (read as any
    earlier content: ``what`` through one may be an over-report), and how many column copies crawled
    before the ``cast`` transform are not typed (``untyped``), as ``scan`` says in its coverage notes."""
    if untyped:
        from lineage_engine.exposure.paths import untyped_copies_note

        console.print("  " + untyped_copies_note(untyped), markup=False)
    if count:
        console.print(f"  not seen: {count:,} Time Travel reads at an unknown point (a timestamp without a zone, an "
                      f"expression, a variable, a query id not seen, STREAM =>): read as any earlier content of the "
                      f"table read, so {what} through one may be an over-report", markup=False)


def _print_scan_profile(timing: Profile) -> None:
    """Print the scan's seconds per stage and this process's CPU seconds and peak RSS on stderr."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    err = Console(stderr=True)
    err.print(rows_table(timing.rows(), title="Where the scan spent its time (seconds; CPU of this process)"))
    err.print(f"scan process: {usage.ru_utime + usage.ru_stime:.2f} s CPU (start-up included), "
              f"peak RSS {usage.ru_maxrss / 1024:.0f} MiB", markup=False)


def _exit_if_undelivered(report: ScanReport, destination: str) -> None:
    """Exit 1 with one line on stderr when alerts failed to deliver (they stay pending)."""
    delivery = report.delivery
    failed = delivery.failed + delivery.exhausted
    if failed:
        first = f"; first error: {delivery.errors[0]}" if delivery.errors else ""
        _print_error(f"{failed} alert(s) could not be delivered to {destination}; they stay pending and the next "
                     f"scan retries them (check monitoring.slack_webhook){first}")
        raise typer.Exit(1)


@export_app.command("edges")
def export_edges(
    as_of: Annotated[Optional[str], typer.Option("--as-of", help="Only edges valid at this instant (ISO 8601, UTC).")] = None,
    format: Annotated[str, typer.Option("--format", help="Output format: jsonl.")] = "jsonl",  # noqa: A002
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Write to this file instead of stdout.")] = None,
    level: Annotated[str, typer.Option("--level", help="dataset (default) or column: column-level edges, "
                                                        "with transform and kind.")] = "dataset",
) -> None:
    """Export lineage edges, one JSON line per edge interval (dataset level, or --level column)."""
    if format != "jsonl":
        raise InputError("--format", f"'{format}' is not supported; use jsonl")
    if level not in ("dataset", "column"):
        raise InputError("--level", f"'{level}' is not a level; use dataset or column")
    when = parse_as_of(as_of)
    if output is not None:
        check_output(output, "--output")  # before the graph opens
    with services.graph_store(settings(), read_only=True) as store:
        edges = store.iter_edges(when) if level == "dataset" else store.iter_column_edges(when)
        lines = json_lines(
            {"downstream": e.downstream, "upstream": e.upstream, "valid_from": e.valid_from, "valid_to": e.valid_to,
             "query_type": e.query_type, "via": list(e.via), "observations": e.observations,
             "last_query_id": e.last_query_id, "provenance": e.provenance,
             **({"transform": e.transform, "kind": e.kind} if level == "column" else {})}
            for e in edges
        )
        if output is None:
            sys.stdout.writelines(lines)
            return
        with open_output(output, "--output") as handle:
            handle.writelines(lines)


@export_app.command("openlineage")
def export_openlineage(
    since: Annotated[Optional[str], typer.Option("--since", help="Every interval observed at or after this instant "
                                                 "(ISO 8601, UTC); default: the lineage valid now.")] = None,
    output: Annotated[Optional[Path], typer.Option("--out", "--output", "-o", help="Write JSON Lines to this file "
                                                   "instead of stdout.")] = None,
    url: Annotated[Optional[str], typer.Option("--url", help="Post each event to URL/api/v1/lineage (Marquez, "
                                               "lineage-engine serve; bearer token: openlineage.api_key).")] = None,
) -> None:
    """Export lineage as OpenLineage run events: one COMPLETE run per dataset written and statement, with columnLineage."""
    if output is not None and url is not None:
        raise InputError("--out/--url", "give one destination: a file (--out) or an endpoint (--url)")
    if url is not None and not url.startswith(("http://", "https://")):
        raise InputError("--url", f"'{url}' is not an http(s) URL, e.g. http://marquez:5000")
    when = parse_as_of(since)
    if output is not None:
        check_output(output, "--out")  # before the graph opens
    from lineage_engine.openlineage_io import graph_run_events, send_http, write_json_lines

    s = settings()
    with services.graph_store(s, read_only=True) as store:
        events = graph_run_events(store, s.openlineage_namespace, when)
    if url is not None:
        key = s.openlineage.api_key.get_secret_value() if s.openlineage.api_key else None
        sent = send_http(events, url.rstrip("/") + "/", key)
        console.print(f"sent {sent} OpenLineage run events to {url}")
    elif output is not None:
        with open_output(output, "--out") as handle:
            written = write_json_lines(events, handle)
        console.print(f"wrote {written} OpenLineage run events to {output}")
    else:
        write_json_lines(events, sys.stdout)


@openlineage_app.command("load")
def openlineage_load(
    path: Annotated[Path, typer.Argument(help="JSON Lines file: one OpenLineage RunEvent per line.")],
) -> None:
    """Store OpenLineage run events from a file (all or none); the next crawl merges them into the graph."""
    require_file(path, "PATH", "a JSON Lines file of OpenLineage RunEvents")
    report = services.load_openlineage(settings(), path)
    console.print(f"stored {report.stored} OpenLineage run events ({report.replayed} already stored); "
                  "the next crawl merges them")


@lineage_app.callback()
def _lineage() -> None:
    """Extract lineage from SQL corpora."""


@lineage_app.command("extract")
def lineage_extract(
    input_path: Annotated[Path, typer.Option("--input", help="Cases, one JSON object per line.")],
    output_path: Annotated[Path, typer.Option("--output", help="Predictions file to write (JSON Lines).")],
) -> None:
    """Extract table and column lineage for every case of a JSON Lines file (see lineage_engine/batch.py)."""
    from lineage_engine.batch import extract_file

    require_file(input_path, "--input", "a JSON Lines file of cases")

    with open_output(output_path, "--output") as sink:
        cases, bad = extract_file(input_path, sink)
    typer.echo(f"{cases} case(s) written to {output_path}; {bad} bad input line(s)")


@app.command()
def trace(
    name: Annotated[Optional[str], typer.Argument(help="Saved trace name (see --list).")] = None,
    param: Annotated[Optional[list[str]], typer.Option("--param", "-p", help="key=value, repeatable.")] = None,
    as_of: Annotated[Optional[str], typer.Option("--as-of", help="Lineage as of this instant (ISO 8601, UTC).")] = None,
    format: FormatOption = "table",  # noqa: A002
    list_: Annotated[bool, typer.Option("--list", help="List saved traces and their parameters.")] = False,
    file: Annotated[Optional[Path], typer.Option(
        "--file", help="Run your own trace file (same header format); it may only read.")] = None,
) -> None:
    """Run a saved Cypher trace from cypher/ read-only and print its rows (paths origin first)."""
    from lineage_engine.traces import coerce_params, list_traces, load_trace, load_trace_file

    check_format(format)
    if file is not None:
        name = name or file.stem
    if (list_ or name is None) and file is None:
        rows = [{"trace": t.name, "params": ", ".join(f"${p.name} ({p.type})" for p in t.params),
                 "description": t.description} for t in list_traces()]
        emit_rows(rows, format, "Saved traces")
        return
    saved = load_trace_file(file) if file is not None else load_trace(name)
    raw: dict[str, str] = {}
    for item in param or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InputError("--param", f"'{item}' is not key=value")
        raw[key.strip()] = value
    if as_of is not None:
        raw["as_of"] = as_of
    params = coerce_params(saved, raw)
    # the shipped downstream_of and unmasked_pii_columns are answered by the scan's walk (README)
    rows = services.run_trace(settings(), saved, params, walk=file is None)
    emit_rows(rows, format, f"{saved.name} ({len(rows)} rows)")
    # what the lineage read could not see (honest completeness): on stderr when stdout is JSON or CSV
    _print_unmerged(settings(), "lineage through one of them", to=None if format == "table" else Console(stderr=True),
                    unreadable_ok=True)


@registry_app.command("import")
def registry_import(file: Annotated[Path, typer.Argument(help="Classifications, YAML or CSV.")]) -> None:
    """Upsert classifications from a YAML or CSV file (all rows or none)."""
    report = services.import_registry(settings(), file)
    console.print(f"[green]imported[/] {file}: {report.created} created, {report.updated} updated, "
                  f"{report.unchanged} unchanged")


@registry_app.command("list")
def registry_list(
    asset_type: Annotated[Optional[str], typer.Option("--type", help="dataset | column")] = None,
    format: FormatOption = "table",  # noqa: A002
) -> None:
    """List classified assets."""
    from lineage_engine.registry.tables import ASSET_TYPES

    check_choice("--type", asset_type, ASSET_TYPES)
    check_format(format)
    with services.registry(settings(), read_only=True) as reg:
        assets = reg.list_assets(asset_type)
    rows = [{"catalog_path": a.catalog_path, "type": a.asset_type, "classification": a.classification,
             "tags": ", ".join(a.regulatory_tags), "steward": a.steward or "(none)",
             "masking_policy": a.masking_policy or "NONE",
             "reviewed_at": a.reviewed_at.date().isoformat() if a.reviewed_at else ""} for a in assets]
    emit_rows(rows, format, f"Classification registry ({len(rows)} assets)")


findings_app = typer.Typer(help="Exposure findings: list, show, accept, reopen, verify the event log.",
                           invoke_without_command=True)
app.add_typer(findings_app, name="findings")


def _actor(by: Optional[str]) -> str:
    """Return who acts: ``--by`` when given, else the OS user."""
    import getpass

    if by is not None and by.strip():
        return by.strip()
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no user name in this environment
        return "unknown"


def parse_until(value: Optional[str]) -> Optional[datetime]:
    """Parse ``--until``: a date means the end of that day (UTC), a time is taken as given.

    Raises:
        InputError: not ISO 8601.
    """
    if value is None:
        return None
    from datetime import date, timedelta, timezone

    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        from lineage_engine.sources.rows import RowError, parse_timestamp

        try:
            return parse_timestamp(value, "--until")
        except RowError:
            raise InputError("--until", f"'{value}' is not ISO 8601; write e.g. 2027-03-31") from None
    return datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=timezone.utc)


def _finding_origin(origin: str) -> str:
    """Return ``--origin`` as stored (:func:`lineage_engine.model.canonical_id`) when some finding has it (or an origin
    inside it) or the ledger is empty, else fail naming the closest origins of the ledger.

    Raises:
        InputError: no finding of that origin.
    """
    from lineage_engine.model import canonical_id
    from lineage_engine.suggest import closest

    wanted = canonical_id(origin)  # as stored: DB.S."PII"."Email" is db.s.pii.email
    with services.registry(settings(), read_only=True) as reg:
        origins = reg.finding_origins()
    if not origins or any(o == wanted or o.startswith(f"{wanted}.") for o in origins):
        return wanted  # an empty ledger lists nothing, whatever the origin
    near = closest(wanted, origins)
    hint = f"; closest: {', '.join(near)}" if near else "; 'lineage-engine findings' lists them all"
    raise InputError("--origin", f"no finding has origin '{origin}'{hint}")


@findings_app.callback()
def findings(
    ctx: typer.Context,
    status: Annotated[Optional[str], typer.Option("--status", help="open | accepted | resolved")] = None,
    origin: Annotated[Optional[str], typer.Option(
        "--origin", help="Only findings of this origin (dataset or column id; a dataset includes its columns).")] = None,
    format: FormatOption = "table",  # noqa: A002
) -> None:
    """List exposure findings from the ledger (or run a findings subcommand)."""
    if ctx.invoked_subcommand is not None:
        return
    from lineage_engine.registry.tables import FINDING_STATUS_FILTERS

    check_choice("--status", status, FINDING_STATUS_FILTERS)
    fmt = check_format(format)
    if origin is not None:
        origin = _finding_origin(origin)

    def row_of(f: Any) -> dict[str, object]:
        return {
            "id": f.id, "status": f.status, "severity": f.severity, "origin": f.origin, "terminal": f.terminal,
            "level": f.level, "exposure": f.exposure, "opened_at": f.opened_at, "resolved_at": f.resolved_at,
            "steward": f.steward, "tags": list(f.regulatory_tags), "path": flow_order(f.path),
            "unmasked window": f.window(),
            "opened_by": (f.explanation or {}).get("opened_by") if fmt == "json"
            else opened_by_text((f.explanation or {}).get("opened_by")),
            "accepted_until": f.accepted_until, **({"note": f.note} if fmt != "table" else {}),
            "kind": f.kind, "rule": f.rule}  # kind: exposure | egress | boundary (issue 14)

    if fmt != "table":  # an export: written a finding at a time, the ledger read a page at a time
        with services.registry(settings(), read_only=True) as reg:
            emit_rows((row_of(f) for f in reg.iter_findings(status, origin=origin)), fmt, "")
        return
    with services.registry(settings(), read_only=True) as reg:
        items = reg.list_findings(status, origin=origin)
    rows = [row_of(f) for f in items]
    # the table stays readable: the opening statement is in 'findings show ID' (and JSON/CSV);
    # the window and acceptance columns only when some finding has one
    shown_window = any(f.window() for f in items)
    shown_until = any(f.accepted_until for f in items)
    shown_rule = any(f.rule for f in items)
    for row in rows:
        row["steward"] = row["steward"] or "(none)"
        del row["opened_by"]
        if not shown_window:
            del row["unmasked window"]
        if not shown_until:
            del row["accepted_until"]
        if not shown_rule:
            del row["rule"]
    emit_rows(rows, fmt, f"Findings ({len(rows)}; path: origin → terminal)")
    for f in items:  # why a copy under a masking policy counts (issue 10 §3)
        if f.note:
            console.print(f"  finding {f.id}: {f.note}", markup=False)


@findings_app.command("show")
def findings_show(
    finding_id: Annotated[int, typer.Argument(help="Finding id (see 'lineage-engine findings').")],
    format: Annotated[str, typer.Option("--format", "-f", help="table | json")] = "table",  # noqa: A002
) -> None:
    """Show one finding: its path hop by hop, the statement that opened it, and its event log."""
    check_choice("--format", format, ("table", "json"))
    with services.registry(settings(), read_only=True) as reg:
        finding = reg.get_finding(finding_id)
        events = reg.finding_events(finding_id)
    why = dict(finding.explanation or {})
    event_rows = [{"id": e.id, "event": e.event, "at": e.at, "by": e.actor, "why": e.reason or "",
                   "details": e.details} for e in events]
    if format == "json":
        sys.stdout.write(json.dumps(plain({
            "id": finding.id, "kind": finding.kind, "rule": finding.rule or None, "status": finding.status,
            "severity": finding.severity, "origin": finding.origin,
            "terminal": finding.terminal, "level": finding.level, "exposure": finding.exposure,
            "path": flow_order(finding.path),
            "tags": list(finding.regulatory_tags), "steward": finding.steward, "opened_at": finding.opened_at,
            "last_seen_at": finding.last_seen_at, "resolved_at": finding.resolved_at,
            "accepted_until": finding.accepted_until, "accepted_by": finding.accepted_by,
            "accepted_reason": finding.accepted_reason, "unmasked_from": finding.unmasked_from,
            "unmasked_to": finding.unmasked_to, "note": finding.note, "opened_by": why.get("opened_by"),
            "edges": why.get("hops") or [], "events": event_rows}), indent=2) + "\n")
        return
    rule = f" (rule {finding.rule})" if finding.rule else ""
    console.print(f"finding {finding.id}: {finding.kind}{rule}, {finding.status}, {finding.severity}, "
                  f"level {finding.level}, exposure {finding.exposure}", markup=False)
    console.print("path: " + " → ".join(flow_order(finding.path)), markup=False)
    if finding.window():  # masked after the data arrived (issue 10 §2)
        console.print(f"{finding.window()} (masked since: resolved)", markup=False)
    if finding.note:  # why a copy under a masking policy counts (issue 10 §3)
        console.print(f"note: {finding.note}", markup=False)
    console.print(f"opened by: {opened_by_text(why.get('opened_by')) or 'unknown (found before statements were kept)'}",
                  markup=False)
    if finding.status == "accepted":
        until = finding.accepted_until.isoformat() if finding.accepted_until else "reopened by hand"
        console.print(f"accepted by {finding.accepted_by} until {until}: {finding.accepted_reason}", markup=False)
    hops = [{"upstream": h.get("upstream"), "downstream": h.get("downstream"), "level": h.get("level"),
             "transform": h.get("transform"), "query_id": h.get("query_id"), "user": h.get("user"),
             "role": h.get("role")} for h in why.get("hops") or []]
    if hops:
        console.print(rows_table(hops, title="Hops (origin first)"))
    for row in event_rows:
        row["details"] = ", ".join(f"{k}={v}" for k, v in sorted(dict(row["details"]).items()) if v is not None)  # type: ignore[call-overload]
    console.print(rows_table(event_rows, title=f"Events ({len(event_rows)})"))


@findings_app.command("accept")
def findings_accept(
    finding_id: Annotated[int, typer.Argument(help="Finding id.")],
    reason: Annotated[str, typer.Option("--reason", help="Why the exposure is accepted (stored in the event log).")],
    until: Annotated[Optional[str], typer.Option("--until", help="Accepted through this date (UTC; a date means "
                                                 "the whole day); then the finding reopens and alerts. "
                                                 "Default: until 'findings reopen'.")] = None,
    by: Annotated[Optional[str], typer.Option("--by", help="Who accepts (default: the OS user).")] = None,
) -> None:
    """Accept an open finding: no alerts for it until --until passes; an event records who, when and why."""
    when = parse_until(until)
    with services.registry(settings()) as reg:
        finding = reg.accept_finding(finding_id, reason=reason, until=when, actor=_actor(by))
    shown = finding.accepted_until.isoformat() if finding.accepted_until else "reopened by hand"
    console.print(f"finding {finding.id} accepted by {finding.accepted_by} until {shown}", markup=False)


@findings_app.command("reopen")
def findings_reopen(
    finding_id: Annotated[int, typer.Argument(help="Finding id.")],
    reason: Annotated[Optional[str], typer.Option("--reason", help="Why (stored in the event log).")] = None,
    by: Annotated[Optional[str], typer.Option("--by", help="Who reopens (default: the OS user).")] = None,
) -> None:
    """End a finding's acceptance: it is open again and alerted (delivered by the next scan)."""
    with services.registry(settings()) as reg:
        finding = reg.reopen_finding(finding_id, actor=_actor(by), reason=reason)
    console.print(f"finding {finding.id} reopened; its alert is queued", markup=False)


@findings_app.command("verify")
def findings_verify(
    expect_head: Annotated[Optional[str], typer.Option(
        "--expect-head", help="EVENT_ID:SHA256 of a former head (an evidence pack's manifest): it must still "
        "be in the log, unchanged (catches events cut off the end).")] = None,
    format: Annotated[str, typer.Option("--format", "-f", help="table | json")] = "table",  # noqa: A002
) -> None:
    """Check the findings event log's hash chain, then every finding against its events; name
    the first event that does not match, or the findings whose row says otherwise than their
    events (edited, added or deleted outside lineage-engine) (exit 1)."""
    check_choice("--format", format, ("table", "json"))
    expected = _parse_head(expect_head)
    with services.registry(settings(), read_only=True) as reg:
        check = reg.verify_events(expected)
        checked, mismatches = reg.verify_ledger() if check.ok else (0, [])
    ok = check.ok and not mismatches
    if format == "json":
        sys.stdout.write(json.dumps({
            "ok": ok, "events": check.checked,
            "head": {"event_id": check.last_id, "hash": check.last_hash} if check.ok else None,
            "bad_event": check.bad_id, "finding_id": check.finding_id, "problem": check.problem or None,
            "findings_checked": checked,
            "findings_not_matching": [{"finding_id": m.finding_id, "problem": m.problem} for m in mismatches]}) + "\n")
        if not ok:
            raise typer.Exit(1)
        return
    if ok:
        console.print(f"event log intact: {check.checked} events, head event {check.last_id} "
                      f"sha256 {check.last_hash}; {checked} findings match their events", markup=False)
        return
    if not check.ok:
        finding = f" (finding {check.finding_id})" if check.finding_id is not None else ""
        sys.stderr.write(f"error: event {check.bad_id}{finding} does not match: {check.problem}; "
                         f"{max(check.checked - 1, 0)} events before it are intact\n")
        raise typer.Exit(1)
    for mismatch in mismatches:
        sys.stderr.write(f"error: finding {mismatch.finding_id} does not match its event log: {mismatch.problem}\n")
    sys.stderr.write(f"the event log itself is intact ({check.checked} events); the findings above (the first "
                     f"{len(mismatches)} at most 20) were changed outside lineage-engine\n")
    raise typer.Exit(1)


def _parse_head(value: Optional[str]) -> Optional[tuple[int, str]]:
    """Parse ``--expect-head EVENT_ID:SHA256``.

    Raises:
        InputError: not ``<integer>:<64 hex characters>``.
    """
    if value is None:
        return None
    event_id, _, digest = value.strip().partition(":")
    digest = digest.strip().lower()
    if not event_id.strip().isdigit() or len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise InputError("--expect-head", f"'{value}' is not EVENT_ID:SHA256 (e.g. 42:9f86d0…, 64 hex characters); "
                         "'lineage-engine findings verify' prints the head")
    return int(event_id), digest


@app.command()
def quarantine(
    limit: Annotated[int, typer.Option("--limit", help="At most this many rows.")] = 50,
    format: FormatOption = "table",  # noqa: A002
) -> None:
    """List quarantined rows and statements with their reasons (query text is never shown)."""
    check_format(format)
    if limit < 1:
        raise InputError("--limit", f"{limit} is not a number of rows; give 1 or more")
    with services.registry(settings(), read_only=True) as reg:
        entries = reg.list_quarantine(limit)
    rows = [{"position": e.position, "query_id": e.query_id or "", "reason_code": e.reason_code, "reason": e.reason}
            for e in entries]
    emit_rows(rows, format, f"Quarantine ({len(rows)} shown)")


@app.command()
def serve(
    host: Annotated[str, typer.Option("--host", help="Address to bind; anything but loopback needs a token.")]
    = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port (0: any free port, printed).")] = 8000,
    token: Annotated[Optional[str], typer.Option(
        "--token", help="Token every request must carry (Bearer header, or a browser login); prefer "
                        "monitoring.web_token: ${VAR}, since other users can read a command line.",
        show_default=False)] = None,
) -> None:
    """Serve the read-only web view and JSON API (findings, lineage pictures, coverage) until stopped."""
    from lineage_engine.observability import configure_logging
    from lineage_engine.web.server import serve as run_server

    if not 0 <= port <= 65535:
        raise InputError("--port", f"{port} is not a TCP port; give 0-65535 (0: any free port)")
    s = settings()
    configure_logging(s.monitoring.log_format, s.monitoring.log_level)
    run_server(s, host=host, port=port, token=token, announce=lambda line: print(line, flush=True))


evidence_app = typer.Typer(help="Evidence packs: the exposure as of an instant, as files with a SHA-256 manifest.")
app.add_typer(evidence_app, name="evidence")


@evidence_app.callback(invoke_without_command=True)
def evidence(
    ctx: typer.Context,
    as_of: Annotated[Optional[str], typer.Option("--as-of", help="The instant (ISO 8601, UTC; a date is midnight "
                                                 "UTC): lineage and registry facts of then.")] = None,
    out: Annotated[Optional[Path], typer.Option("--out", help="New (or empty) folder to write the pack into.")]
    = None,
    origin: Annotated[Optional[list[str]], typer.Option("--origin", help="A sensitive origin (dataset or column "
                                                        "id; repeatable); default: every one as of then.")] = None,
) -> None:
    """Write an evidence pack (read-only: the ledger, its events and the outbox are not touched).

    Or check one: lineage-engine evidence verify DIR.
    """
    if ctx.invoked_subcommand is not None:
        return
    from lineage_engine.evidence.pack import write_evidence

    if as_of is None or out is None:
        raise InputError("--as-of" if as_of is None else "--out", "missing; write e.g. 'lineage-engine evidence "
                         "--as-of 2026-03-14 --out evidence-2026-03-14' (or 'evidence verify DIR')")
    when = parse_as_of(as_of)
    assert when is not None
    report = write_evidence(settings(), when, out, tuple(origin or ()))
    ev = report.evidence
    open_paths = sum(1 for p, _ in ev.paths if not p.closed)
    console.print(f"evidence as of {when.isoformat()}: {len(ev.origins)} origins, {open_paths} exposure paths, "
                  f"{len(ev.paths) - open_paths} closed windows; {report.files} files in {out}", markup=False,
                  soft_wrap=True)
    chain = ev.chain
    intact = "" if chain.get("intact") else f"; NOT intact: event {chain.get('first_bad_event')}: {chain.get('problem')}"
    console.print(f"findings chain head: {chain.get('expect_head') or 'none (empty log)'} ({chain.get('events', 0)} "
                  f"events{intact})", markup=False, soft_wrap=True)
    console.print(f"pack digest (SHA-256 of manifest.json; keep it elsewhere): {report.digest}", markup=False,
                  soft_wrap=True)
    console.print(f"open {out / 'index.html'}; check later with: lineage-engine evidence verify {out}",
                  markup=False, soft_wrap=True)
    if chain.get("expect_head"):
        console.print(f"and the findings log with: lineage-engine findings verify --expect-head {chain['expect_head']}",
                      markup=False, soft_wrap=True)


@evidence_app.command("verify")
def evidence_verify(folder: Annotated[Path, typer.Argument(help="The pack folder.")]) -> None:
    """Check every file of a pack against its manifest; exit 1 naming each changed, missing or extra file."""
    from lineage_engine.evidence.manifest import verify_pack

    result = verify_pack(folder)
    if not result.ok:
        for line in result.problems():
            sys.stderr.write(f"{line}\n")
        _print_error(f"evidence pack '{folder}' does not match its manifest: "
                     + ", ".join(result.problems()))
        raise typer.Exit(1)
    chain = result.meta.get("findings_chain") or {}
    console.print(f"ok: {result.files} files match manifest.json (as of {result.meta.get('as_of')}; findings chain "
                  f"head {chain.get('expect_head') or 'none'}; pack digest {result.digest})", markup=False,
                  soft_wrap=True)


def _instant(value: Optional[str], option: str, *, end_of_day: bool = False) -> Optional[datetime]:
    """Parse an ISO 8601 option (no offset means UTC); InputError naming ``option`` otherwise.

    ``end_of_day``: a date alone means the last microsecond of that UTC day (an upper bound
    "through 2026-11-30" includes the 30th), else its first instant.
    """
    from datetime import date, timedelta, timezone

    from lineage_engine.sources.rows import RowError, parse_timestamp

    if value is None:
        return None
    if end_of_day:
        try:
            day = date.fromisoformat(value.strip())
        except ValueError:
            pass
        else:
            return datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=timezone.utc) - timedelta(
                microseconds=1)
    try:
        return parse_timestamp(value, option)
    except RowError:
        raise InputError(option, f"'{value}' is not ISO 8601; write e.g. 2026-11-14 or 2026-11-14T09:30:00Z") from None


@app.command()
def access(
    origin: Annotated[Optional[str], typer.Option("--origin", help="Dataset or column id: who read its data.")] = None,
    principal: Annotated[Optional[str], typer.Option(
        "--principal", help="A user: what sensitive data they read (every sensitive origin, or --origin's).")] = None,
    since: Annotated[Optional[str], typer.Option("--since", help="Reads at or after this instant (ISO 8601, UTC).")] = None,
    until: Annotated[Optional[str], typer.Option(
        "--until", help="Reads at or before this instant (ISO 8601, UTC; a date: through the end of that day).")] = None,
    format: FormatOption = "table",  # noqa: A002
) -> None:
    """Who read an origin's data, directly or through any copy that held it at the time of the read."""
    from lineage_engine.access.answer import TIME_TRAVEL_UNKNOWN
    from lineage_engine.access.service import access_rows
    from lineage_engine.output import arrow_path

    fmt = check_format(format)
    start, end = _instant(since, "--since"), _instant(until, "--until", end_of_day=True)
    s = settings()
    with services.graph_store(s, read_only=True) as store, services.registry(s, read_only=True) as reg:
        found = access_rows(store, reg, origin=origin, principal=principal, since=start, until=end,
                            now=services.now_utc(), sensitive_tags=list(s.compliance.sensitive_tags))
        unseen = reg.count_quarantine() if fmt == "table" else 0
    rows: list[dict[str, object]] = []
    for r in found:
        row: dict[str, object] = {"origin": r.origin, "principal": r.principal or "(unknown)", "role": r.role,
                                  "read": r.read, "hops": r.hops,
                                  "path": arrow_path(r.path) if fmt != "json" else list(r.path),
                                  "first_read": r.first_at, "last_read": r.last_at, "reads": r.reads,
                                  "query_ids": ", ".join(r.query_ids) if fmt != "json" else list(r.query_ids),
                                  "exposure": r.exposure, "note": r.note}
        if fmt == "table":
            row.pop("query_ids")
            row.pop("note")
            if origin is not None:
                row.pop("origin")
        rows.append(row)
    who = f"principal {principal}" if principal else "principals"
    emit_rows(rows, fmt, f"Access: {who} who read {origin or 'sensitive data'} ({len(rows)} rows; path: origin → read)")
    if fmt == "table":
        for r in found:
            if r.note:
                console.print(f"  {r.principal} {r.read}: {r.note} (queries {', '.join(r.query_ids)})", markup=False)
        unknown = sum(1 for r in found if r.note == TIME_TRAVEL_UNKNOWN)
        if unknown:  # counted, but what they read is not known
            console.print(f"  not seen: {unknown:,} rows counted from Time Travel reads at an unknown point, read as "
                          "any earlier content of the object read (an over-report)", markup=False)
        if unseen:  # what the answer could not see, as scan says it
            console.print(f"  not seen: {unseen:,} quarantined rows or statements: a read in one of them is missing "
                          "here or counted for whole tables only (its text did not parse, was too large or cut; "
                          "lineage-engine quarantine)", markup=False)


@app.command()
def drift(
    since: Annotated[str, typer.Option("--since", help="Changes at or after this instant (ISO 8601, UTC).")],
    format: FormatOption = "table",  # noqa: A002
) -> None:
    """Every first arrival of sensitive data since T: new places, new egress, new readers."""
    from lineage_engine.access.service import drift_items
    from lineage_engine.scan import count_unknown_points, count_untyped_copies
    from lineage_engine.output import arrow_path

    fmt = check_format(format)
    start = _instant(since, "--since")
    s = settings()
    with services.graph_store(s, read_only=True) as store, services.registry(s, read_only=True) as reg:
        items = drift_items(store, reg, now=services.now_utc(), sensitive_tags=list(s.compliance.sensitive_tags),
                            since=start)
        unknown = count_unknown_points(store, services.now_utc()) if fmt == "table" else 0
        untyped = count_untyped_copies(store, reg) if fmt == "table" else 0
    rows = [{"at": i.at, "kind": i.kind, "origin": i.origin, "new": i.subject, "query_id": i.query_id,
             "user": i.user, "role": i.role, "path": arrow_path(i.path) if fmt != "json" else list(i.path)}
            for i in items]
    emit_rows(rows, fmt, f"Drift since {since} ({len(rows)} changes; path: origin → new)")
    if fmt == "table":
        _print_unknown_points(unknown, "a first arrival", untyped)
        _print_unmerged(s, "a first arrival through one of them")


@app.command()
def grants(
    object_id: Annotated[str, typer.Option("--object", help="Dataset id: who can read it.")],
    as_of: Annotated[Optional[str], typer.Option("--as-of", help="Grants as of this instant (ISO 8601, UTC).")] = None,
    format: FormatOption = "table",  # noqa: A002
) -> None:
    """Roles, users and shares able to read a dataset (GRANT/REVOKE history, telemetry.sync_grants)."""
    from lineage_engine.access.service import can_read
    from lineage_engine.graph.known_ids import require_known_ids

    fmt = check_format(format)
    at = _instant(as_of, "--as-of") or services.now_utc()
    s = settings()
    with services.graph_store(s, read_only=True) as store:
        (dataset,) = require_known_ids(store, [object_id], kind="dataset", input="--object")
    with services.registry(s, read_only=True) as reg:
        found = can_read(reg, dataset, at=at, broad_members=s.compliance.broad_role_members)
    rows = [{"kind": r.kind, "name": r.name, "via": " → ".join(r.via) if fmt != "json" else list(r.via),
             "privilege": r.privilege, "members": r.members if r.kind == "role" else "",
             "broad": "yes" if r.broad else ""} for r in found]
    emit_rows(rows, fmt, f"Who can read {dataset} ({len(rows)}; via: the role holding the privilege first)")


@app.command()
def egress(format: FormatOption = "table") -> None:  # noqa: A002
    """Where sensitive data left the account: unloads to stages and URLs, outbound shares."""
    from lineage_engine.access.service import egress_rows
    from lineage_engine.scan import count_unknown_points, count_untyped_copies
    from lineage_engine.output import arrow_path

    fmt = check_format(format)
    s = settings()
    with services.graph_store(s, read_only=True) as store, services.registry(s, read_only=True) as reg:
        found = egress_rows(store, reg, now=services.now_utc(), sensitive_tags=list(s.compliance.sensitive_tags),
                            broad_members=s.compliance.broad_role_members)
        unknown = count_unknown_points(store, services.now_utc()) if fmt == "table" else 0
        untyped = count_untyped_copies(store, reg) if fmt == "table" else 0
    rows = [{**r, "path": arrow_path(r["path"]) if fmt != "json" else list(r["path"])} for r in found]
    emit_rows(rows, fmt, f"Egress of sensitive data ({len(rows)}; path: origin → held in)")
    if fmt == "table":
        _print_unknown_points(unknown, "an egress", untyped)
        _print_unmerged(s, "an egress through one of them")


@app.command()
def boundaries(format: FormatOption = "table") -> None:  # noqa: A002
    """Paths that take sensitive data across a compliance.boundaries rule (held there now)."""
    from lineage_engine.access.service import boundary_crossings
    from lineage_engine.scan import count_unknown_points, count_untyped_copies
    from lineage_engine.output import arrow_path

    fmt = check_format(format)
    s = settings()
    with services.graph_store(s, read_only=True) as store, services.registry(s, read_only=True) as reg:
        found = boundary_crossings(store, reg, now=services.now_utc(), sensitive_tags=list(s.compliance.sensitive_tags),
                                   rules=s.compliance.boundaries, broad_members=s.compliance.broad_role_members)
        unknown = count_unknown_points(store, services.now_utc()) if fmt == "table" else 0
        untyped = count_untyped_copies(store, reg) if fmt == "table" else 0
    rows = [{"kind": "boundary", "rule": c.rule, "origin": c.origin, "destination": c.destination,
             "path": arrow_path(c.path) if fmt != "json" else list(c.path)} for c in found]
    emit_rows(rows, fmt, f"Boundary crossings ({len(rows)}; {len(s.compliance.boundaries)} rules)")
    if fmt == "table":
        _print_unknown_points(unknown, "a crossing", untyped)
        _print_unmerged(s, "a crossing through one of them")


DEMO_NEXT = (
    "trace --list",
    "trace downstream_of -p dataset=prod_db.raw.customer_profiles",
    "trace unmasked_pii_columns -p origins=prod_db.raw.customer_profiles.email",
    "findings --status open --format csv",
    "export edges --as-of 2026-11-01",
    "evidence --as-of 2026-11-14 --out evidence-2026-11-14",
)
"""What the demo suggests next (each is run by tests/test_cli_smoke.py)."""

DEMO_WEB = "serve --port 8000"
"""The web view the demo suggests (runs until stopped: tests/test_web_api.py serves the demo's data)."""


@app.command()
def demo(
    with_openlineage: Annotated[bool, typer.Option("--with-openlineage", help="Also receive a Spark job's OpenLineage "
                                                   "run event copying customer phone numbers to S3 (issue 16).")]
    = False,
) -> None:
    """Migrate, import the sample classifications, crawl the bundled sample, scan, and show findings."""
    s = settings()
    console.rule("lineage-engine demo: Northwind Pay sample warehouse")
    services.migrate(s)
    history, classifications = services.sample_history_path(), services.sample_classifications_path()
    imported = services.import_registry(s, classifications)
    console.print(f"[green]classifications[/] {classifications.name}: {imported.created} created, "
                  f"{imported.updated} updated, {imported.unchanged} unchanged")
    if with_openlineage:  # merged by the crawl below, like events posted to serve's /api/v1/lineage
        received = services.receive_demo_openlineage(s)
        console.print(f"[green]OpenLineage[/] a Spark job's run event copying {services.DEMO_OPENLINEAGE_COLUMN} "
                      f"to {services.DEMO_OPENLINEAGE_TARGET}: {received.stored} stored")
    _print_crawl(_crawl(s, history))
    if not s.compliance.boundaries:  # the sample's boundary rule (issue 14 §6), for this run only
        s.compliance.boundaries.extend(services.demo_boundaries())
        for rule in s.compliance.boundaries:
            console.print(f"[green]boundary[/] (sample rule, not in your config) {rule.name}: data tagged "
                          f"{rule.classification} must not reach {', '.join(rule.forbidden)}", markup=True)
    _print_scan(services.scan(s, console=console), services.alert_destination(s))
    column = services.DEMO_MASKED_COLUMN
    console.rule(f"masking at column level: where {column} comes from")
    rows = [{"upstream": r["upstream"], "hops": r["hops"], "transforms (upstream → column)": r["edges"],
             "masked on the way": r["masked"]} for r in services.column_upstream(s, column)]
    console.print(rows_table(rows, title="saved trace column_upstream_of"))
    console.print(f"{column} holds sha2(lower(email)): the e-mail reaches it only through a masking function, "
                  "so it is not an exposure path (no finding above; compare the e-mail columns that are).")
    console.print("prod_db.raw.customer_profiles.support_note is a finding inside the e-mail's own table: the e-mail "
                  "has a masking policy (EMAIL_MASK) and an UPDATE copied it into that unmasked column, so every "
                  "reader of the table sees it in clear (a masking bypass).")
    console.print("prod_db.support.caller_verification.phone_last4 holds right(phone, 4): a partial exposure, rated "
                  "one level below the phone's (compliance.risk_thresholds.partial_exposure); its count(distinct "
                  "email) column counts values and exposes none.")
    console.print("egress (data that left the account): the S3 unload, share:NORTHWIND_PARTNER (the partner feed, "
                  "shared with account PARTNERORG.RETAIL_PARTNER) and extfn:prod_db.ml.churn_signal (an external "
                  "function sent e-mails and phones); 'lineage-engine egress' lists them. The share also crosses "
                  "the sample boundary rule pci-no-partners: a finding of kind boundary.")
    console.rule("where the data lives")
    where = s.graph.path if s.graph.type == "embedded" else s.graph.uri
    console.print(f"graph ({s.graph.type}): {where}")
    console.print(f"registry: {masked_url(s.registry_url)}")
    console.print("next:")
    prefix = f"lineage-engine --config {shlex.quote(str(state.config))}" if state.config else "lineage-engine"
    for command in DEMO_NEXT:  # one line each, never wrapped: copy-pastable
        console.print(f"  {prefix} {command}", markup=False, highlight=False, soft_wrap=True)
    console.print("web view (until Ctrl-C; then open http://127.0.0.1:8000/):", markup=False)
    console.print(f"    {prefix} {DEMO_WEB}", markup=False, highlight=False, soft_wrap=True)


def main() -> None:
    """Console-script entry point: run the app, turning known errors into one-line messages."""
    # sqlglot warns about unsupported syntax with SQL excerpts; query text must never be logged.
    logging.getLogger("sqlglot").setLevel(logging.ERROR)
    try:
        app()
    except (ConfigError, InputError) as exc:
        _print_error(exc)
        sys.exit(2)
    except LineageEngineError as exc:
        _print_error(exc)
        sys.exit(1)


def _print_error(exc: Exception | str) -> None:
    # Verbatim: no Rich wrapping or markup parsing of messages that quote user values.
    sys.stderr.write(f"error: {exc}\n")

