"""``crawl_once``: query history -> lineage extraction -> graph merge -> watermark.

One pass from the stored watermark to the end of the source, committed in batches. Each batch
is committed in this order: graph events (one transaction), quarantine entries, then the
watermark together with the temp-table resolver state and the learned column schema (one
registry transaction; see :mod:`lineage_engine.parsing.learned_schema`). A crash
anywhere re-runs at most the last uncommitted batch, and replaying a batch is idempotent
(graph merges are keyed; quarantine entries are deduplicated), so a killed crawl re-run ends
with the same graph as one clean run.

Column lineage asks a :class:`~lineage_engine.parsing.learned_schema.CrawlSchema`: the
columns learned from earlier statements first, then an optional catalog snapshot (Snowflake's
``ACCOUNT_USAGE.COLUMNS``, :mod:`lineage_engine.sources.snowflake_columns`) handed in by the
caller. The snapshot is not stored with the watermark; the learned part is.

Windowed crawls (Snowflake backfill and catch-up) live in :mod:`lineage_engine.windows`.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from lineage_engine.access.egress_crawl import EgressObserver
from lineage_engine.access.grant_parse import GrantStatement, is_grant_text, parse_grant
from lineage_engine.access.ownership import OwnershipStatement
from lineage_engine.access.reads import READ_QUERY_TYPES, ReadFact, read_fact
from lineage_engine.governance import PolicyRecorder, known_views
from lineage_engine.crawl_options import CrawlOptions
from lineage_engine.gc_pace import spaced_full_collections
from lineage_engine.graph.store import GraphStore
from lineage_engine.model import (
    ExtractionResult,
    LineageEvent,
    MergeReport,
    QuarantineEntry,
    QueryRecord,
    SourceCursor,
    Statement,
    Watermark,
)
from lineage_engine.parse_cache import (  # noqa: F401 - ParseCache and cache_entry_bytes are used from here
    QUARANTINE_CODES,
    Extracted,
    ParseCache,
    cache_entry_bytes,
)
from lineage_engine.parse_pool import ParsePool, Planned, Prefetched, Prefetcher, default_workers
from lineage_engine.parse_store import StoredResults, parser_version
from lineage_engine.parsing import DEFAULT_TEMP_PATTERNS, SessionResolver, extract_lineage, should_parse
from lineage_engine.parsing.filter import SKIP_NOT_MATERIALIZING
from lineage_engine.parsing.redact import redact_literals
from lineage_engine.parsing.result_scan import UNKNOWN_MESSAGE as RESULT_SCAN_UNKNOWN
from lineage_engine.parsing.temp_names import compile_temp_patterns
from lineage_engine.parsing.time_travel import ANY_EARLIER, read_now, row_points, with_reads_now
from lineage_engine.parsing.time_travel import MENTIONS as TRAVEL_MENTIONS  # a text that may read at a point
from lineage_engine.parsing.learned_schema import CrawlSchema, LearnedSchema, same_answers
from lineage_engine.parsing.schema import SchemaProvider
from lineage_engine.profiling import NO_PROFILE, Profile
from lineage_engine.registry.crawl_state import CrawlStateChanges
from lineage_engine.registry.repository import Registry
from lineage_engine.sources.access_history import apply_access_lineage
from lineage_engine.sources.base import QueryHistorySource
from lineage_engine.sources.query_types import unclassified, unclassified_entry
from lineage_engine.transform_lists import TransformFunctions

if TYPE_CHECKING:
    from lineage_engine.settings import ComplianceSettings, TelemetrySettings

_log = logging.getLogger(__name__)

REDACTED_TEXT_LIMIT = 4000


@dataclass
class CrawlReport:
    """What one crawl did. Counts are for this crawl only; ``merge`` sums the graph batches' reports."""

    source: str
    rows_read: int = 0
    statements_parsed: int = 0
    cache_hits: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    events: int = 0
    quarantined: int = 0
    unresolved_temp_reads: int = 0
    late_rows: int = 0
    """Rows read more than ``session_idle`` after a later row (temp sessions judged in the order read)."""
    late_temps: int = 0
    """Statements that read a temp created by a row read after them (its lineage added at their position)."""
    late_definitions: int = 0
    unclassified: Counter[str] = field(default_factory=Counter)
    """Rows skipped as not materializing whose QUERY_TYPE the crawl never classified, per type
    (quarantined as ``unclassified_query_type``; :mod:`lineage_engine.sources.query_types`)."""
    batches: int = 0
    merge: MergeReport = field(default_factory=MergeReport)
    watermark: Watermark | None = None
    elapsed_seconds: float = 0.0
    enriched: int = 0
    stopped: bool = False
    internal_errors: int = 0
    prefetched: int = 0
    """Rows whose parse worker's extraction was used (``parse_workers`` > 1)."""
    prefetch_refused: int = 0
    """Rows whose worker extraction was not used (the crawl's schema answered otherwise) and were parsed again."""
    parses_stored: int = 0
    """Distinct statements whose extraction an earlier crawl stored was read instead of parsing them
    (a history read again, :mod:`lineage_engine.parse_store`)."""
    policies_stored: int = 0
    """Distinct governed texts (policy, tag, column type statements) whose extraction an earlier crawl stored
    was read instead of extracting them (:meth:`~lineage_engine.governance.PolicyRecorder.load`)."""
    profile: Profile | None = None
    """Seconds per kind of work when the crawl was profiled (``crawl --profile``), else None."""
    reads: int = 0
    """Statements whose reads were kept as access facts (``keep_reads``), replays included."""
    reads_new: int = 0
    """Of those, statements not aggregated before (a replay adds nothing)."""
    reads_known: int = 0
    """Of ``reads``, read-only statements whose reads were already aggregated (a replay): not aggregated again."""


def quarantine_for(source: str, record: QueryRecord, result: ExtractionResult, now: datetime) -> QuarantineEntry | None:
    """Return a quarantine entry when the statement could not be understood, else None.

    The entry carries the problems' codes and messages (never raw text), the fingerprint and
    the literal-redacted text capped at 4,000 characters.
    """
    bad = [p for p in result.problems if p.code in QUARANTINE_CODES]
    if not bad:
        return None
    reason = "; ".join(sorted({f"{p.code}: {p.message}" for p in bad}))
    return QuarantineEntry(
        source=source,
        query_id=record.query_id,
        position=record.position,
        reason_code=bad[0].code,
        reason=reason[:1000],
        fingerprint=result.fingerprint or None,
        redacted_text=(result.redacted_text or "")[:REDACTED_TEXT_LIMIT] or None,
        seen_at=now,
    )


@spaced_full_collections  # a crawl's batches made 12 full collections, 1.2 s of 9.4 s on solana (issue 13)
def crawl_once(
    source: QueryHistorySource,
    store: GraphStore,
    registry: Registry,
    options: CrawlOptions = CrawlOptions(),
    *,
    progress: Callable[[int], None] | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
    stop: Callable[[], bool] | None = None,
    parse_cache: ParseCache | None = None,
    catalog: SchemaProvider | None = None,
    profile: Profile = NO_PROFILE,
) -> CrawlReport:
    """Crawl one source from its watermark to its end.

    Args:
        source: where query-history rows come from.
        store: the graph to merge into (migrated).
        registry: crawl state, quarantine (migrated).
        options: filtering, parsing and batching.
        progress: called with the number of rows read so far, after each row.
        clock: UTC now, for quarantine timestamps.
        stop: checked after every row; when it returns True the rows read so far are
            committed (graph, then watermark) and the crawl returns with ``stopped`` set.
        parse_cache: reuse extraction results across calls (the windows of one backfill);
            default: a fresh cache of ``options.parse_cache_size`` entries.
        catalog: the warehouse's current columns, asked only about datasets the crawl has
            not learned (:class:`~lineage_engine.parsing.learned_schema.CrawlSchema`); never
            stored in the crawl state. None: the learned schema alone.
        profile: accumulates seconds per kind of work (:mod:`lineage_engine.profiling`);
            also set on the store as ``store.profile`` for the crawl's duration.

    Returns:
        A CrawlReport; ``watermark`` is the position committed last (None if nothing new).
        Records carrying ACCESS_HISTORY lineage have it win over their parsed lineage
        (:func:`~lineage_engine.sources.access_history.apply_access_lineage`); their
        events get ``provenance="access_history"`` and count in ``enriched``.

    Raises:
        SourceError, GraphError, RegistryError: the crawl stopped; everything committed before
            stays, the watermark marks where the next crawl resumes.
    """
    started = time.perf_counter()
    report = CrawlReport(source=source.key, profile=profile if profile.enabled else None)
    if stop is not None and stop():
        report.stopped = True
        return report
    watermark, state = registry.get_crawl_state(source.key)
    patterns = (*DEFAULT_TEMP_PATTERNS, *options.temp_patterns)
    resolver = SessionResolver.from_state(state, patterns, options.session_idle)
    schema = LearnedSchema.from_rows(  # column lineage (issue 5)
        (d, seq, columns) for (d, columns), seq in zip(state.get("schema") or [], state.get("schema_order") or [],
                                                       strict=True))
    columns = CrawlSchema(schema, catalog)  # learned first; the catalog is not persisted
    cache = parse_cache if parse_cache is not None else ParseCache.for_options(options)
    cache.take_new()
    cache.new = []  # what this crawl extracts is stored for a crawl that reads the history again
    stored = StoredResults(registry, parser_version(options, patterns))
    checkpoint = getattr(source, "checkpoint", None)  # file sources: a position, not a time
    events: list[LineageEvent] = []
    quarantine: list[QuarantineEntry] = []
    statements: dict[str, Statement] = {}  # who ran the statements behind ``events`` (findings name them)
    reads: list[ReadFact] | None = [] if options.keep_reads else None
    grants: list[tuple[GrantStatement, datetime, str]] = []  # GRANT / REVOKE of this batch (issue 14 §3)
    temp_re = compile_temp_patterns(patterns)
    pending_rows = 0
    last: QueryRecord | None = None
    cursor: SourceCursor | None = None
    rows_total = watermark.rows_total if watermark else 0
    latest = watermark
    governance = PolicyRecorder(registry, known_views(store),  # policies and tags of the history (issue 10 §2)
                                timestamp_mapping=options.timestamp_type_mapping, version=stored.version)
    egress = EgressObserver(registry.external_functions())  # shares, external functions (issue 14 §4)

    def statement_end(query_id: str) -> datetime | None:
        """The END_TIME of a statement that changed lineage, of this batch or stored (Time Travel points)."""
        seen = statements.get(query_id) or registry.get_statements([query_id]).get(query_id)
        return seen.end_time if seen is not None else None

    def commit() -> None:
        nonlocal events, quarantine, pending_rows, latest, statements
        if pending_rows == 0 and not quarantine:
            return
        report.merge += store.apply_events(events)
        with profile.timed("registry.policies"):
            governance.observe_events(events)
            governance.flush()
        if statements:
            registry.record_statements(list(statements.values()))
        if quarantine:
            with profile.timed("registry.quarantine"):
                registry.add_quarantine(quarantine)
        if grants:  # dated grant facts; a replay changes nothing
            with profile.timed("registry.grants"):
                registry.record_grants(grants)
            grants.clear()
        if reads:  # idempotent by query id: a replay after a crash adds nothing
            with profile.timed("registry.reads"):
                report.reads_new += registry.record_reads(reads)
            report.reads += len(reads)
            reads.clear()
        with profile.timed("registry.parse_results"):
            stored.save(cache)
        if last is not None or cursor is not None:
            position = checkpoint(cursor) if checkpoint is not None and cursor is not None else None
            mark = Watermark(
                source=source.key,
                end_time=last.end_time if last is not None else (latest.end_time if latest else None),
                query_id=last.query_id if last is not None else (latest.query_id if latest else ""),
                rows_total=rows_total, position=position)
            with profile.timed("registry.state.sessions"):
                resolver.sweep()  # sessions no later row can continue (a memory bound, never an answer)
                sessions = resolver.take_changes()
            with profile.timed("registry.state.schema"):
                learned, forgotten = schema.take_changes()
            with profile.timed("registry.state.write"):
                registry.commit_crawl_state(mark, CrawlStateChanges(
                    sessions=sessions.sessions, temps=sessions.temps, gone_temps=sessions.gone_temps,
                    gone_sessions=sessions.gone_sessions, learned=learned, forgotten=forgotten,
                    reads=sessions.reads, gone_reads=sessions.gone_reads))
            report.watermark = latest = mark
        report.events += len(events)
        report.quarantined += len(quarantine)
        report.batches += 1
        events, quarantine, pending_rows, statements = [], [], 0, {}

    def crawl_rows(batch: list[QueryRecord | QuarantineEntry], prefetched: Prefetched | None,
                   known: set[str]) -> bool:
        """Process rows in history order; return True when ``stop`` asked to stop."""
        nonlocal pending_rows, last, rows_total, cursor
        for index, item in enumerate(batch):
            if stop is not None and stop():
                report.stopped = True
                return True
            pending_rows += 1
            if item.cursor is not None:
                cursor = item.cursor
            if isinstance(item, QuarantineEntry):
                quarantine.append(item if item.seen_at else replace(item, seen_at=clock()))
            else:
                report.rows_read += 1
                rows_total += 1
                last = item
                now = clock()
                rejected = admit(source.key, item, options, now)
                if rejected is not None:
                    quarantine.append(rejected)
                    resolver.seen(item)  # a place among its session's queries, its result not known (LAST_QUERY_ID)
                else:
                    try:
                        governed = governance.statements
                        governance.observe(item)
                        granted = len(grants)
                        _observe_grant(item, source.key, options, grants, quarantine, now)
                        calls = _observe_egress(item, source.key, options, egress, grants, quarantine, now)
                        facts = grants[granted:]
                        granted = len(grants) > granted  # a GRANT / share statement: drift names who ran it
                        found = _lineage_of(item, source.key, options, patterns, cache, columns, schema,
                                            resolver, report, quarantine, now,
                                            prefetched.get(index) if prefetched is not None else None,
                                            profile, reads=reads, temp_re=temp_re, known_reads=known,
                                            statement_end=statement_end)
                        if calls:
                            found = [*found, *calls]
                        never = unclassified(item)
                        if never is not None and not found and governance.statements == governed \
                                and all(isinstance(f[0], OwnershipStatement) for f in facts) \
                                and _skipped_as_not_materializing(item, options):
                            report.unclassified[never] += 1  # a kind of statement never classified: said, not hidden
                            quarantine.append(unclassified_entry(source.key, item, never, options.dialect, now))
                        events.extend(found)
                        if found or granted:
                            statements[item.query_id] = Statement(item.query_id, item.query_type, item.user_name,
                                                                  item.role_name, item.end_time)
                    except Exception as exc:  # noqa: BLE001 - one row must never stop every crawl
                        report.internal_errors += 1
                        quarantine.append(internal_error(source.key, item, exc, now))
                        resolver.unresolved_results.clear()
                        resolver.forgotten_reads.clear()
                        resolver.seen(item)  # keeps its place among its session's queries (LAST_QUERY_ID)
                if progress is not None:
                    progress(report.rows_read)
            if pending_rows >= options.batch_size:
                commit()
        return False

    records = source.fetch_records(watermark)
    if profile.enabled:
        records = _timed_rows(records, profile)
    profiled_store = hasattr(store, "profile") and profile.enabled
    if profiled_store:
        store.profile = profile  # type: ignore[attr-defined]
    pool: ParsePool | None = None
    prefetcher: Prefetcher | None = None
    parallel = options.parse_workers > 1
    prefetched_before, refused_before = cache.prefetched, cache.refused

    def plan(batch: list[QueryRecord | QuarantineEntry], known: set[str]) -> tuple[list[Planned], bool]:
        """Return the rows of ``batch`` to parse and whether stored results cover nearly all of them
        (a history read again: they are loaded into the parse cache, and no worker is needed)."""
        rows = _to_prefetch(batch, source.key, options, known, clock())
        with profile.timed("registry.parse_results"):
            covered = stored.load(rows, cache)
            governance.load(batch)  # governed texts' extractions stored by an earlier crawl (issue 13)
        return rows, covered >= REPLAYED_SHARE * len(rows)

    def hand_out(rows: list[Planned], in_step: bool) -> Prefetched | None:
        """Give ``rows`` to the parse workers (started on the first batch worth it); None: parse here."""
        nonlocal pool, prefetcher, parallel
        if not parallel or (prefetcher is not None and prefetcher.failed):
            return None
        try:
            if pool is None:
                if len(rows) < MIN_POOL_ROWS:
                    return None
                pool = ParsePool(options.parse_workers - 1, options, patterns, catalog, columns=True)
                prefetcher = Prefetcher(pool, profile)
                in_step = True
            assert prefetcher is not None
            return prefetcher.submit(rows, schema, in_step=in_step)
        except Exception as error:  # noqa: BLE001 - workers only save time: parse here instead
            _log.warning("parse workers failed (%s); parsing in the crawl's process", type(error).__name__)
            parallel = False
            return None

    try:
        batches = _batches(records, options.batch_size)
        current = next(batches, None)
        job: Prefetched | None = None
        while current is not None:
            with profile.timed("registry.known_reads"):
                known = _known_reads(current, registry, options)
            if job is None:  # the first batch, after a stored one, or after the workers' schema went another way
                rows, replayed = plan(current, known)
                job = None if replayed else hand_out(rows, in_step=True)
            ahead, failed = None, None
            if parallel:  # read now: a worker parses it while this one is applied
                try:
                    ahead = next(batches, None)
                except Exception as error:  # noqa: BLE001 - re-raised once the rows already read are applied
                    failed = error
            ahead_job = None
            if ahead is not None:
                with profile.timed("registry.known_reads"):
                    ahead_known = _known_reads(ahead, registry, options)
                rows, replayed = plan(ahead, ahead_known)
                if job is not None and not replayed:
                    ahead_job = hand_out(rows, in_step=False)
            refused = cache.refused
            if crawl_rows(current, job, known):
                break
            if failed is not None:  # the source failed after this batch: its rows count, as without workers
                raise failed
            if cache.refused > refused and prefetcher is not None and prefetcher.follows:
                ahead_job = None  # parsed by a worker whose schema went another way: hand it out again, in step
            current, job = (ahead, ahead_job) if parallel else (next(batches, None), None)
    finally:
        if pool is not None:
            pool.close()
        report.prefetched = cache.prefetched - prefetched_before
        report.prefetch_refused = cache.refused - refused_before
        report.parses_stored = stored.loaded
        report.policies_stored = governance.loaded

    close = getattr(records, "close", None)
    if close is not None:
        close()  # a generator stopped early releases its cursor now
    try:
        commit()
        with profile.timed("registry.parse_results"):
            stored.save(cache, flush=True)
    finally:
        if profiled_store:
            del store.profile  # type: ignore[attr-defined]  # back to the class default
    report.unresolved_temp_reads = len(resolver.unresolved)
    report.late_rows = resolver.late_rows
    report.late_temps = resolver.late_temps
    report.late_definitions = schema.late_definitions
    report.elapsed_seconds = time.perf_counter() - started
    return report


def admit(source: str, record: QueryRecord, options: CrawlOptions, now: datetime) -> QuarantineEntry | None:
    """Return a quarantine entry for a record the crawl must not merge, else None.

    A text longer than ``options.max_statement_chars`` is ``too_large``: parsing it could
    hold the crawl for minutes and its memory grows with it. A statement that ended after
    ``now + options.future_tolerance`` cannot have run yet
    (a bad export or clock): merged, it would put its targets' lineage in the future and
    make every real statement about them look already applied.
    """
    if len(record.query_text) > options.max_statement_chars:
        return QuarantineEntry(
            source=source, query_id=record.query_id, position=record.position, reason_code="too_large",
            reason=f"query_text is {len(record.query_text):,} characters long, over the "
                   f"{options.max_statement_chars:,} of telemetry.max_statement_chars; not parsed",
            seen_at=now)
    if record.end_time > now + options.future_tolerance:
        return QuarantineEntry(
            source=source, query_id=record.query_id, position=record.position, reason_code="end_time_in_future",
            reason=f"end_time {record.end_time.isoformat()} is more than "
                   f"{options.future_tolerance.total_seconds() / 60:g} minutes after now ({now.isoformat()}); "
                   "check the export's time zone (telemetry.future_tolerance_minutes)",
            seen_at=now)
    return None


def internal_error(source: str, record: QueryRecord, exc: BaseException, now: datetime) -> QuarantineEntry:
    """Return the quarantine entry for an unexpected exception on one row (its type only, never its text)."""
    return QuarantineEntry(
        source=source, query_id=record.query_id, position=record.position, reason_code="internal_error",
        reason=f"unexpected {type(exc).__name__} while processing this statement; please report it "
               "(the crawl went on)",
        seen_at=now)


def _lineage_of(
    item: QueryRecord, source: str, options: CrawlOptions, patterns: tuple[str, ...], cache: ParseCache,
    columns: CrawlSchema, schema: LearnedSchema, resolver: SessionResolver, report: CrawlReport,
    quarantine: list[QuarantineEntry], now: datetime, prefetched: Extracted | None = None,
    profile: Profile = NO_PROFILE, *, reads: list[ReadFact] | None = None, temp_re: object = None,
    known_reads: set[str] = frozenset(),  # type: ignore[assignment]
    statement_end: Callable[[str], datetime | None] = lambda _query_id: None,
) -> list[LineageEvent]:
    """Filter, parse and resolve one record; return its lineage events (statement problems quarantined).

    ``prefetched``: a parse worker's extraction of the row (see :meth:`ParseCache.get_or_extract`).
    ``reads``: when given, the row's read side is appended (:func:`~lineage_engine.access.reads.read_fact`);
    a read-only row (``SELECT``) is then parsed for it, and quarantined when it cannot be; one whose query
    id is in ``known_reads`` (its reads already aggregated: a replay) is parsed for its result set only.
    """
    keep, reason = should_parse(
        item,
        allowed_query_types=options.allowed_query_types,
        own_user=options.own_user,
        own_query_tag_prefix=options.own_query_tag_prefix,
    )
    if not keep:
        report.skipped[reason] += 1
        if reads is None or not _read_only(item, reason):
            resolver.seen(item)  # the session is active: its temps live on (a place among its queries)
        if reads is not None and _read_only(item, reason):
            # parsed even when its reads were stored by an earlier crawl (a replay): its result set is what a
            # RESULT_SCAN read again after it copies; taken as not known, the replay quarantined copies
            # one crawl follows (review s15 Q3)
            with profile.timed("parse.reads"):
                result, hit = cache.get_or_extract(item, options, patterns, columns, prefetched, extract_lineage)
            report.cache_hits += hit
            points = _points_of(item, result, statement_end)
            with profile.timed("resolve.sessions"):
                resolver.query(item, result, points)  # its result set, for a later RESULT_SCAN (review O2)
            entry = _unknown_results(source, item, resolver, quarantine_for(source, item, result, now), result,
                                     options.dialect, now)
            if entry is not None:
                quarantine.append(entry)
            if item.query_id in known_reads:  # its reads stored by an earlier crawl: not aggregated again
                report.reads_known += 1
                report.reads += 1  # kept, as recorded before (the crawl says "already recorded")
                return []
            fact = read_fact(item, result, temp_re, points)  # type: ignore[arg-type]
            if fact is not None:
                reads.append(fact)
        return []
    with profile.timed("parse"):
        result, hit = cache.get_or_extract(item, options, patterns, columns, prefetched, extract_lineage)
    report.statements_parsed += 1
    report.cache_hits += hit
    entry = quarantine_for(source, item, result, now)
    with profile.timed("resolve.schema"):
        schema.observe(result.statements, item.end_time)
        schema.learn(result.statements)
    result, authoritative = apply_access_lineage(result, item.access_lineage, item.query_type)
    parsed = result.statements
    points = _points_of(item, result, statement_end)
    if reads is not None:
        fact = read_fact(item, result, temp_re, points)  # type: ignore[arg-type]
        if fact is not None:
            reads.append(fact)
    with profile.timed("resolve.sessions"):
        fed = resolver.feed(item, result, points)
    if points:
        now = read_now(parsed)  # also read as they are: two reads, not the point alone
        if now:
            fed = [with_reads_now(e, now) for e in fed]
    if authoritative:
        report.enriched += 1
        fed = [replace(e, provenance="access_history") if e.target.id in authoritative else e for e in fed]
    entry = _unknown_results(source, item, resolver, entry, result, options.dialect, now)
    if entry is not None:
        quarantine.append(entry)
    return fed


def _unknown_results(source: str, item: QueryRecord, resolver: SessionResolver, entry: QuarantineEntry | None,
                     result: ExtractionResult, dialect: str, now: datetime) -> QuarantineEntry | None:
    """Return the row's quarantine entry, with its RESULT_SCAN reads of results the resolver did not know.

    Such a read (:attr:`SessionResolver.unresolved_results`, cleared here) is quarantined as
    ``unsupported``, as every RESULT_SCAN was before review O2: what it copies is not followed, so
    ``scan`` counts the row under "not seen". The text is redacted (never raw).
    """
    reasons = [f"unsupported: {m}" for m in ([RESULT_SCAN_UNKNOWN] if resolver.unresolved_results else [])
               + list(dict.fromkeys(f.message for f in resolver.forgotten_reads))]
    if not reasons:  # also a write into a temp whose readers a memory bound forgot (issue 13, temp_late)
        return entry
    resolver.unresolved_results.clear()
    resolver.forgotten_reads.clear()
    reason = "; ".join(reasons)
    if entry is not None:
        return entry if reason in entry.reason else replace(entry, reason=f"{entry.reason}; {reason}"[:1000])
    return QuarantineEntry(
        source=source, query_id=item.query_id, position=item.position, reason_code="unsupported", reason=reason,
        fingerprint=result.fingerprint or None,
        redacted_text=redact_literals(item.query_text, dialect=dialect)[:REDACTED_TEXT_LIMIT] or None, seen_at=now)


_NOT_READ_WHOLE = frozenset({"parse_error", "truncated", "timeout"})
"""Problem codes of a text the parser did not read whole (its Time Travel clauses may be unseen)."""


def _points_of(item: QueryRecord, result: ExtractionResult | None,
               statement_end: Callable[[str], datetime | None]) -> dict[str, datetime] | None:
    """Return the row's Time Travel points (:func:`~lineage_engine.parsing.time_travel.row_points`), None for none.

    A text that mentions ``AT (`` / ``BEFORE (`` but was not parsed whole (its lineage
    recovered from tokens or from ACCESS_HISTORY, which names objects, not points): every
    dataset it read whose point was not found was read at a point not known (any earlier
    content: an over-report, never the current content only).
    """
    statements = result.statements if result is not None else ()
    points = row_points(statements, start=item.start_time, end=item.end_time, statement_end=statement_end) \
        if any(st.read_points for st in statements) else {}
    if result is not None and any(p.code in _NOT_READ_WHOLE for p in result.problems) \
            and TRAVEL_MENTIONS.search(item.query_text):
        read = {s.id for st in statements for s in st.sources}
        if item.access_reads is not None:
            read.update(item.access_reads.datasets)
        for dataset in sorted(read):
            points.setdefault(dataset, ANY_EARLIER)
    return points or None


def _observe_grant(item: QueryRecord, source: str, options: CrawlOptions,
                   grants: list[tuple[GrantStatement, datetime, str]], quarantine: list[QuarantineEntry],
                   now: datetime) -> None:
    """Keep a successful GRANT / REVOKE of someone else as a dated grant fact; quarantine one not understood."""
    if (item.query_type or "").upper() not in ("GRANT", "REVOKE") and not is_grant_text(item.query_text):
        return
    _, reason = should_parse(item, allowed_query_types=None, own_user=options.own_user,
                             own_query_tag_prefix=options.own_query_tag_prefix)
    if reason not in ("", SKIP_NOT_MATERIALIZING):
        return  # failed, or ours
    statement = parse_grant(item.query_text, item.database_name, item.schema_name)
    if statement is None:
        quarantine.append(QuarantineEntry(
            source=source, query_id=item.query_id, position=item.position, reason_code="unsupported",
            reason="GRANT/REVOKE statement not understood (grant facts of issue 14); not applied", seen_at=now))
        return
    grants.append((statement, item.end_time, item.query_id))


def _observe_egress(item: QueryRecord, source: str, options: CrawlOptions, egress: EgressObserver,
                    facts: list[Any], quarantine: list[QuarantineEntry],
                    now: datetime) -> list[LineageEvent]:
    """Keep a share or function statement of someone else (with the grant facts, in order) and
    return the lineage events of the external functions a successful row calls (issue 14 §4)."""
    _, reason = should_parse(item, allowed_query_types=None, own_user=options.own_user,
                             own_query_tag_prefix=options.own_query_tag_prefix)
    if reason not in ("", SKIP_NOT_MATERIALIZING):
        return []  # failed, or ours
    statement, rejected = egress.statement(item, source, now)
    if rejected is not None:
        quarantine.append(rejected)
    if statement is not None:
        facts.append((statement, item.end_time, item.query_id))
        if not isinstance(statement, OwnershipStatement):  # a CREATE that owns may also call functions
            return []
    return egress.calls(item, options.dialect, options.functions)


def _skipped_as_not_materializing(item: QueryRecord, options: CrawlOptions) -> bool:
    """Return True for a row ``should_parse`` skips as not materializing (successful, not ours)."""
    return should_parse(item, allowed_query_types=options.allowed_query_types, own_user=options.own_user,
                        own_query_tag_prefix=options.own_query_tag_prefix)[1] == SKIP_NOT_MATERIALIZING


def _read_only(item: QueryRecord, reason: str) -> bool:
    """Return True for a row skipped for lineage that is parsed for its reads (a SELECT)."""
    return reason == SKIP_NOT_MATERIALIZING and (item.query_type or "").upper() in READ_QUERY_TYPES


def _timed_rows(records: Iterable[QueryRecord | QuarantineEntry], profile: Profile,
                ) -> Iterator[QueryRecord | QuarantineEntry]:
    """Yield ``records``, adding the time spent producing each to ``source`` in ``profile``."""
    iterator = iter(records)
    try:
        while True:
            with profile.timed("source"):
                item = next(iterator, None)
            if item is None:
                return
            yield item
    finally:
        close = getattr(iterator, "close", None)
        if close is not None:
            close()


MIN_POOL_ROWS = 32
"""Rows to parse in one batch before a crawl starts its worker processes (start-up costs ~1 s)."""

REPLAYED_SHARE = 0.9
"""A batch whose rows to parse have stored results for at least this share is not handed to workers."""


def _batches(items: Iterable[QueryRecord | QuarantineEntry], size: int) -> Iterator[list[QueryRecord | QuarantineEntry]]:
    """Yield ``items`` in lists of up to ``size``, in order (read ahead one batch at most)."""
    batch: list[QueryRecord | QuarantineEntry] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _known_reads(batch: Sequence[QueryRecord | QuarantineEntry], registry: Registry,
                 options: CrawlOptions) -> set[str]:
    """Return the query ids of ``batch``'s read-only rows whose reads the registry already holds.

    Such a row changes nothing when crawled again: a SELECT writes no lineage, no temp table
    and no learned column (its session's activity is still noted), its read facts are stored
    and its quarantine entry, if any, was committed before them. One registry read per batch.
    """
    if not options.keep_reads:
        return set()
    ids = []
    for item in batch:
        if isinstance(item, QuarantineEntry):
            continue
        keep, reason = should_parse(item, allowed_query_types=options.allowed_query_types, own_user=options.own_user,
                                    own_query_tag_prefix=options.own_query_tag_prefix)
        if not keep and _read_only(item, reason):
            ids.append(item.query_id)
    return registry.known_reads(ids) if ids else set()


def _to_prefetch(batch: Sequence[QueryRecord | QuarantineEntry], source: str, options: CrawlOptions,
                 known: set[str], now: datetime) -> list[Planned]:
    """Return the rows of ``batch`` the crawl will parse, for the workers, in order: every admitted
    materializing row (the crawl learns columns from it), and with ``keep_reads`` every read-only
    row, also one whose reads are in ``known`` (a replay: its result set is what a RESULT_SCAN after
    it copies, review s15 Q3; its extraction stored by the earlier crawl is read, not parsed again)."""
    rows: list[Planned] = []
    for index, item in enumerate(batch):
        if isinstance(item, QuarantineEntry) or admit(source, item, options, now) is not None:
            continue
        keep, reason = should_parse(item, allowed_query_types=options.allowed_query_types, own_user=options.own_user,
                                    own_query_tag_prefix=options.own_query_tag_prefix)
        if keep:
            rows.append((index, item, True))
        elif options.keep_reads and _read_only(item, reason):
            rows.append((index, item, False))
    return rows


def sync_classifications(store: GraphStore, registry: Registry) -> int:
    """Copy every registry asset onto graph nodes, clearing removed ones; return nodes changed."""
    return store.sync_classifications(registry.list_assets())


def options_from_settings(telemetry: TelemetrySettings, compliance: ComplianceSettings | None = None) -> CrawlOptions:
    """Build CrawlOptions from ``settings.telemetry`` (and the function lists of ``settings.compliance``)."""
    return CrawlOptions(
        functions=compliance.transform_functions() if compliance is not None else TransformFunctions(),
        dialect=telemetry.dialect,
        allowed_query_types=frozenset(telemetry.query_filters) if telemetry.query_filters else None,
        # Our own statements: telemetry.own_user, else (Snowflake) the user we connect as.
        own_user=telemetry.own_user or (telemetry.user if telemetry.provider == "snowflake" else None),
        own_query_tag_prefix=telemetry.query_tag,
        temp_patterns=tuple(telemetry.temp_patterns),
        batch_size=telemetry.batch_size,
        store_indirect_column_edges=telemetry.store_indirect_column_edges,
        future_tolerance=timedelta(minutes=telemetry.future_tolerance_minutes),
        parse_workers=telemetry.parse_workers or default_workers(),
        max_statement_chars=telemetry.max_statement_chars,
        parse_timeout_seconds=telemetry.parse_timeout_seconds or None,
        session_idle=timedelta(hours=telemetry.session_idle_hours),
        keep_reads=telemetry.keep_reads,
        timestamp_type_mapping=compliance.timestamp_type_mapping if compliance is not None else None,
    )
