"""Query history from ``SNOWFLAKE.ACCOUNT_USAGE.QUERY_HISTORY`` (issue 3).

Facts from ``shared/reference/snowflake-query-history.md`` (citing docs.snowflake.com):
the view holds finished statements for 365 days with a latency of up to 45 minutes (§1);
``END_TIME`` is the window column, ``START_TIME`` a pruning floor; pages are read with a
keyset on ``(END_TIME, QUERY_ID)``, never OFFSET (§0, §6).

Keyset precision. Snowflake orders ``END_TIME`` at nanoseconds; the driver's datetimes stop
at microseconds (and may be off by one through float conversion). A keyset on the driver's
value re-reads rows (or never advances, when a page fills inside one microsecond) and, when a
later row in the same microsecond has a smaller query id, skips it. So the keyset is the exact
``DATE_PART(epoch_nanosecond, END_TIME)`` (a NUMBER: docs.snowflake.com, functions/date_part,
"Supported date and time parts"), selected with every row as ``end_time_ns``. The stored
watermark keeps its format (the driver's END_TIME and the QUERY_ID, as before): a read after
a watermark first looks its row up by query id to recover the exact nanoseconds
(``sql/query_history_position.sql``, one row, pruned to two seconds of END_TIME); a window
boundary ``(end, "")`` is exact as it is.

What one :meth:`SnowflakeQueryHistorySource.fetch_records` reads, all times UTC:

* the END_TIME range ``[position - overlap, min(window end, now - lag))``, where
  ``position`` is the later of the watermark and the window start. The lag keeps the read
  behind Snowflake's ingestion latency; the overlap re-scans the last minutes before the
  watermark, and the keyset predicate (not the range) decides what is new, so no row at or
  before the watermark is yielded again;
* ``START_TIME >= range start - 2 days`` (Snowflake's default statement timeout,
  STATEMENT_TIMEOUT_IN_SECONDS = 172800, bounds how long a statement can have run);
* successful statements of the query types worth parsing (and of every type the crawl has never
  classified, so that it can say so: :mod:`.query_types`), not run by our user and not
  carrying our QUERY_TAG (the same rules as :func:`lineage_engine.parsing.should_parse`,
  pushed down; see ``sql/query_history.sql``).

With ``access_history=True`` each page is joined, by query id, with
``ACCOUNT_USAGE.ACCESS_HISTORY`` (Enterprise Edition, up to 3 h latency, §3) and each record
carries its :class:`~lineage_engine.model.AccessLineage` (see :mod:`.access_history`) and its
:class:`~lineage_engine.model.AccessReads` (``DIRECT_OBJECTS_ACCESSED`` and
``BASE_OBJECTS_ACCESSED``: what it read, issue 14).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from importlib import resources
from typing import Any

from lineage_engine.access.reads import READ_QUERY_TYPES, access_reads_from_row, merge_access_reads
from lineage_engine.model import AccessLineage, AccessReads, QuarantineEntry, QueryRecord, Watermark
from lineage_engine.parsing.filter import MATERIALIZING_QUERY_TYPES
from lineage_engine.sources.access_history import access_lineage_from_row, merge_access_lineage
from lineage_engine.sources.query_types import CLASSIFIED_QUERY_TYPES
from lineage_engine.sources.rows import RowError, record_from_mapping, valid_query_id
from lineage_engine.sources.snowflake_connection import SnowflakeConnectionConfig, connect, translate_error

MAX_RUNTIME = timedelta(days=2)
"""START_TIME floor below the END_TIME range (Snowflake's default statement timeout, 2 days)."""
ACCESS_HISTORY_CHUNK = 1000
"""Query ids per ACCESS_HISTORY statement."""
POSITION_SLACK = timedelta(seconds=1)
"""A watermark's row is looked up this far either side of its stored END_TIME (pruning)."""
ALWAYS_READ_QUERY_TYPES: frozenset[str] = frozenset({"GRANT", "REVOKE", "CALL"}) | READ_QUERY_TYPES
"""QUERY_TYPEs read whatever ``telemetry.query_filters`` and ``keep_reads`` say (issue 14): GRANT /
REVOKE are dated grant facts, and a SELECT may call an external function (egress of the columns
it passes); a crawl without them would miss that data left the account. A CALL takes its place
among its session's queries (review O2): ``RESULT_SCAN(LAST_QUERY_ID())`` after it reads the
procedure's result, not known (quarantined), never the query before it (which may hold less)."""


def pushdown_query_types(query_filters: Sequence[str] | None = None) -> list[str]:
    """Return the QUERY_TYPEs a crawl reads: the materializing ones (limited by ``query_filters``,
    upper-cased; none left reads none of them) and :data:`ALWAYS_READ_QUERY_TYPES`.

    Share and function statements (CREATE | ALTER | DROP SHARE, CREATE EXTERNAL FUNCTION),
    like governance statements, are read whatever their QUERY_TYPE (Snowflake publishes no
    list of its names; see ``sql/query_history.sql``).
    """
    types = set(MATERIALIZING_QUERY_TYPES)
    if query_filters:
        types &= {t.upper() for t in query_filters}
    return sorted(types | ALWAYS_READ_QUERY_TYPES)


CLASSIFIED_PUSHDOWN: list[str] = sorted(CLASSIFIED_QUERY_TYPES)
"""Every QUERY_TYPE the crawl has classified: rows of any other type are read too (counted and
quarantined by the crawl as ``unclassified_query_type``, :mod:`lineage_engine.sources.query_types`)."""

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def epoch_ns(moment: datetime) -> int:
    """Return an aware datetime as integer nanoseconds since the Unix epoch (exact; UTC)."""
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1_000


def from_epoch_ns(nanoseconds: int) -> datetime:
    """Return the aware UTC datetime at or just before ``nanoseconds`` since the epoch (floor to µs)."""
    return _EPOCH + timedelta(microseconds=nanoseconds // 1_000)


def load_sql(name: str) -> str:
    """Return the text of ``sources/sql/<name>.sql`` (comments kept; bind parameters only)."""
    return resources.files("lineage_engine.sources").joinpath("sql", f"{name}.sql").read_text(encoding="utf-8")


class SnowflakeQueryHistorySource:
    """``ACCOUNT_USAGE.QUERY_HISTORY`` of one account, read with a lag and a keyset.

    Args:
        config: connection settings (``telemetry``).
        lag: read only statements that ended before ``now - lag``.
        overlap: re-scan this long before the watermark on every read.
        backfill_days: without a watermark or window, read from this many days back.
        page_size: rows per keyset page.
        query_types: QUERY_TYPE names to read; default: every materializing type.
        own_user: our user (default ``config.user``); its statements are skipped.
        access_history: attach ACCESS_HISTORY lineage to each record.
        clock: UTC now.
        connect_fn: the driver's ``connect`` (tests wrap it); default the real one.
        window: ``(start, end)`` bounds of END_TIME, see :meth:`in_window`.

    The source holds one connection, opened on first use and shared by its windows;
    :meth:`close` releases it. A failed statement drops the connection, so a retry
    reconnects.
    """

    def __init__(
        self,
        config: SnowflakeConnectionConfig,
        *,
        lag: timedelta = timedelta(minutes=60),
        overlap: timedelta = timedelta(minutes=30),
        backfill_days: int = 90,
        page_size: int = 10_000,
        query_types: Sequence[str] | None = None,
        own_user: str | None = None,
        access_history: bool = False,
        clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
        connect_fn: Any = None,
        window: tuple[datetime, datetime] | None = None,
        _shared: dict[str, Any] | None = None,
    ) -> None:
        self.config = config
        self.key = config.source_key
        self.lag, self.overlap, self.backfill_days = lag, overlap, backfill_days
        self.page_size = page_size
        self.query_types = (sorted({t.upper() for t in query_types}) if query_types is not None
                            else pushdown_query_types())
        self.own_user = own_user if own_user is not None else config.user
        self.access_history = access_history
        self.clock = clock
        self.window = window
        self._connect_fn = connect_fn
        self._shared = _shared if _shared is not None else {"conn": None}
        self.statements_run = 0

    # -- windows and connection ----------------------------------------------------------

    def in_window(self, start: datetime, end: datetime) -> SnowflakeQueryHistorySource:
        """Return a view of this source limited to END_TIME in ``[start, end)`` (same key, same connection)."""
        view = SnowflakeQueryHistorySource(
            self.config, lag=self.lag, overlap=self.overlap, backfill_days=self.backfill_days,
            page_size=self.page_size, query_types=self.query_types, own_user=self.own_user,
            access_history=self.access_history, clock=self.clock, connect_fn=self._connect_fn,
            window=(start, end), _shared=self._shared,
        )
        return view

    def close(self) -> None:
        """Close the shared connection; idempotent."""
        conn, self._shared["conn"] = self._shared.get("conn"), None
        if conn is not None:
            try:
                conn.close()
            except Exception:  # noqa: BLE001 - closing a broken connection must not mask the real error
                pass

    def __enter__(self) -> SnowflakeQueryHistorySource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _run(self, sql: str, params: Mapping[str, object], action: str) -> list[dict[str, Any]]:
        """Run one statement; rows as dicts with lower-case keys.

        Raises:
            SourceError / TransientSourceError: see :func:`translate_error`.
        """
        if self._shared.get("conn") is None:
            self._shared["conn"] = connect(self.config, self._connect_fn)
        conn = self._shared["conn"]
        try:
            cursor = conn.cursor()
            try:
                cursor.execute(sql, dict(params))
                names = [d[0].lower() for d in cursor.description]
                rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
            finally:
                cursor.close()
        except Exception as exc:  # noqa: BLE001 - driver errors are mapped; the connection is dropped
            self.close()
            raise translate_error(exc, self.config, action) from None
        self.statements_run += 1
        return rows

    # -- QueryHistorySource ----------------------------------------------------------------

    def bounds(self, after: Watermark | None) -> tuple[datetime, datetime]:
        """Return the END_TIME range ``[start, end)`` a read after ``after`` covers (before the overlap)."""
        now = self.clock()
        end = now - self.lag
        if self.window is not None:
            start, end = self.window[0], min(self.window[1], end)
        else:
            start = after.end_time if after else now - timedelta(days=self.backfill_days)
        if after is not None and after.end_time > start:
            start = after.end_time
        return start, end

    def fetch_records(self, after: Watermark | None) -> Iterator[QueryRecord | QuarantineEntry]:
        """Yield rows strictly after ``after`` in ``(end_time, query_id)`` order, page by page.

        The order and the keyset are Snowflake's, at nanoseconds (see the module docstring);
        a record's ``end_time`` is the driver's microsecond value, so two records inside one
        microsecond keep Snowflake's order, not necessarily their query ids' order.

        Raises:
            SourceError: terminal failure (credentials, grants, SQL).
            TransientSourceError: network, timeout or expired session; rows yielded before
                stay valid and the keyset resumes after the last committed one.
        """
        start, end = self.bounds(after)
        position: tuple[int, str] = (epoch_ns(start), "")
        if after is not None and after.end_time + timedelta(microseconds=1) >= start:
            # The range starts at (or within a driver microsecond of) the watermark: its exact
            # position decides, bounded below by the window's start only.
            position = (self._exact_position(after), after.query_id)
            if self.window is not None:
                position = max(position, (epoch_ns(self.window[0]), ""))
        if position[0] >= epoch_ns(end):
            return
        win_start = from_epoch_ns(position[0]) - self.overlap
        sql = load_sql("query_history")
        while True:
            params = {
                "win_start": win_start, "win_end": end, "start_floor": win_start - MAX_RUNTIME,
                "query_types": self.query_types, "classified": CLASSIFIED_PUSHDOWN, "own_user": self.own_user or None,
                "own_tag_prefix": (self.config.query_tag or "").lower() or None,
                "after_floor": from_epoch_ns(position[0]), "after_ns": position[0], "after_id": position[1],
                "page_size": self.page_size,
            }
            rows = self._run(sql, params, "read ACCOUNT_USAGE.QUERY_HISTORY")
            items = [self._record(row) for row in rows]
            if self.access_history:
                items = self._with_access_history(items)
            yield from items
            if len(rows) < self.page_size:
                return
            last = rows[-1]
            position = (int(last["end_time_ns"]), str(last["query_id"]))

    def _exact_position(self, after: Watermark) -> int:
        """Return the watermark's END_TIME in exact nanoseconds since the epoch.

        ``(end, "")`` (a window boundary) is exact as stored. Otherwise the watermark's row is
        looked up by query id near its stored END_TIME; when it is not found (it cannot
        leave the view within the 365-day retention), the stored value is used as it is.
        """
        if not after.query_id:
            return epoch_ns(after.end_time)
        params = {"query_id": after.query_id, "near_start": after.end_time - POSITION_SLACK,
                  "near_end": after.end_time + POSITION_SLACK}
        rows = self._run(load_sql("query_history_position"), params, "read ACCOUNT_USAGE.QUERY_HISTORY")
        if rows and rows[0].get("end_time_ns") is not None:
            return int(rows[0]["end_time_ns"])
        return epoch_ns(after.end_time)

    # -- rows ---------------------------------------------------------------------------------

    def _record(self, row: Mapping[str, Any]) -> QueryRecord | QuarantineEntry:
        """Judge one row like every source does (:func:`~lineage_engine.sources.rows.record_from_mapping`)."""
        query_id = valid_query_id(row.get("query_id"))
        position = f"QUERY_HISTORY {query_id or '?'}"
        try:
            return record_from_mapping(row, position)
        except RowError as exc:
            return QuarantineEntry(source=self.key, query_id=query_id, position=position,
                                   reason_code="malformed_row", reason=str(exc))

    def _with_access_history(self, items: list[QueryRecord | QuarantineEntry]) -> list[QueryRecord | QuarantineEntry]:
        records = [i for i in items if isinstance(i, QueryRecord)]
        if not records:
            return items
        found: dict[str, AccessLineage] = {}
        reads: dict[str, AccessReads] = {}
        floor = min(r.start_time for r in records) - timedelta(seconds=1)
        ceiling = max(r.start_time for r in records) + timedelta(seconds=1)
        sql = load_sql("access_history")
        ids = [r.query_id for r in records]
        for offset in range(0, len(ids), ACCESS_HISTORY_CHUNK):
            params = {"start_floor": floor, "start_ceiling": ceiling,
                      "query_ids": ids[offset:offset + ACCESS_HISTORY_CHUNK]}
            for row in self._run(sql, params, "read ACCOUNT_USAGE.ACCESS_HISTORY"):
                lineage = access_lineage_from_row(row.get("objects_modified"), row.get("direct_objects_accessed"))
                query_id = str(row["query_id"])
                found[query_id] = merge_access_lineage(found.get(query_id), lineage)
                reads[query_id] = merge_access_reads(reads.get(query_id), access_reads_from_row(
                    row.get("direct_objects_accessed"), row.get("base_objects_accessed")))
        return [replace(i, access_lineage=found[i.query_id], access_reads=reads.get(i.query_id))
                if isinstance(i, QueryRecord) and i.query_id in found else i for i in items]
