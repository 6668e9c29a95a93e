"""Query history from a file: JSON Lines or CSV in Snowflake ``QUERY_HISTORY`` column shape.

Column names are matched case-insensitively (``QUERY_ID`` or ``query_id``): query_id,
query_text, query_type, start_time, end_time, execution_status, database_name, schema_name,
session_id (optional), user_name, role_name, warehouse_name, query_tag, and optionally
query_parameterized_hash. Timestamps are ISO 8601; a timestamp without an offset is read as
UTC (set the session ``TIMEZONE=UTC`` before exporting from Snowflake).

Reading is streaming (one row in memory at a time). A row that cannot be read (bad JSON,
missing query_id/query_text, bad timestamp, bytes that are not UTF-8) is yielded as a
:class:`QuarantineEntry` with ``file:line``; the crawl goes on. Rows must be in end_time order,
as Snowflake exports ordered by END_TIME are: the watermark skips rows at or before it.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from lineage_engine.errors import SourceError
from lineage_engine.model import QuarantineEntry, QueryRecord, Watermark

_REQUIRED = ("query_id", "query_text", "end_time")
_OPTIONAL_TEXT = (
    "query_type",
    "execution_status",
    "database_name",
    "schema_name",
    "session_id",
    "user_name",
    "role_name",
    "warehouse_name",
    "query_tag",
    "query_parameterized_hash",
)
csv.field_size_limit(16 * 1024 * 1024)  # Snowflake caps query_text at 100K characters; be generous.


class RowError(ValueError):
    """A row is unusable; the message names the field and never quotes query text."""


def parse_timestamp(value: Any, field: str) -> datetime:
    """Parse an ISO 8601 timestamp into an aware UTC datetime.

    Raises:
        RowError: the value is missing or not ISO 8601.
    """
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str) and value.strip():
        text = value.strip().replace(" ", "T", 1)
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            raise RowError(f"{field} is not an ISO 8601 timestamp") from None
    else:
        raise RowError(f"{field} is missing")
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


def record_from_mapping(row: Mapping[str, Any], position: str) -> QueryRecord:
    """Build a QueryRecord from a QUERY_HISTORY-shaped mapping (keys in any case).

    Raises:
        RowError: a required field is missing or a timestamp is invalid.
    """
    fields = {str(k).strip().lower(): v for k, v in row.items()}
    for name in _REQUIRED:
        value = fields.get(name)
        if value is None or (isinstance(value, str) and not value.strip() and name != "query_text"):
            raise RowError(f"{name} is missing")
    if not isinstance(fields["query_text"], str):
        raise RowError("query_text is not a string")
    end_time = parse_timestamp(fields["end_time"], "end_time")
    start_raw = fields.get("start_time")
    start_time = parse_timestamp(start_raw, "start_time") if start_raw not in (None, "") else end_time
    text = {name: _text_or_none(fields.get(name)) for name in _OPTIONAL_TEXT}
    return QueryRecord(
        query_id=str(fields["query_id"]).strip(),
        query_text=fields["query_text"],
        query_type=(text["query_type"] or "UNKNOWN").upper(),
        start_time=start_time,
        end_time=end_time,
        execution_status=(text["execution_status"] or "SUCCESS").upper(),
        database_name=text["database_name"],
        schema_name=text["schema_name"],
        session_id=text["session_id"],
        user_name=text["user_name"],
        role_name=text["role_name"],
        warehouse_name=text["warehouse_name"],
        query_tag=text["query_tag"],
        query_parameterized_hash=text["query_parameterized_hash"],
        position=position,
    )


def _text_or_none(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def is_after(record: QueryRecord, after: Watermark | None) -> bool:
    """Return True when the record's keyset ``(end_time, query_id)`` is after the watermark."""
    if after is None:
        return True
    return (record.end_time, record.query_id) > (after.end_time, after.query_id)


class FileQueryHistorySource:
    """A query-history file, JSON Lines or CSV.

    Args:
        path: the file; ``.csv`` means CSV, anything else JSON Lines, unless ``format`` says.
        format: ``auto`` | ``jsonl`` | ``csv``.

    Raises:
        SourceError: (from :meth:`fetch_records`) the file does not exist or cannot be opened.
    """

    def __init__(self, path: Path, format: str = "auto") -> None:  # noqa: A002 - config key name
        self.path = Path(path)
        self.format = ("csv" if self.path.suffix.lower() == ".csv" else "jsonl") if format == "auto" else format
        self.key = f"file:{self.path.resolve()}"

    def fetch_records(self, after: Watermark | None) -> Iterator[QueryRecord | QuarantineEntry]:
        """Yield rows after ``after`` in file order, and a QuarantineEntry per unreadable row."""
        try:
            handle = self.path.open("rb")
        except FileNotFoundError:
            raise SourceError(
                str(self.path), "file not found; set telemetry.path to a QUERY_HISTORY export (JSON Lines or CSV)"
            ) from None
        except OSError as exc:
            raise SourceError(str(self.path), f"cannot open the file ({exc.strerror})") from None
        with handle:
            rows = self._csv_rows(handle) if self.format == "csv" else self._jsonl_rows(handle)
            for item in rows:
                if isinstance(item, QuarantineEntry) or is_after(item, after):
                    yield item

    def _quarantine(self, line: int, reason: str, query_id: str | None = None) -> QuarantineEntry:
        return QuarantineEntry(
            source=self.key,
            query_id=query_id,
            position=f"{self.path.name}:{line}",
            reason_code="malformed_row",
            reason=reason,
        )

    def _jsonl_rows(self, handle: io.BufferedReader) -> Iterator[QueryRecord | QuarantineEntry]:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                yield self._quarantine(number, f"not UTF-8 (byte {exc.start})")
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                yield self._quarantine(number, f"not valid JSON ({exc.msg} at column {exc.colno})")
                continue
            if not isinstance(row, dict):
                yield self._quarantine(number, "a line must hold one JSON object")
                continue
            yield self._record_or_quarantine(row, number)

    def _csv_rows(self, handle: io.BufferedReader) -> Iterator[QueryRecord | QuarantineEntry]:
        text = io.TextIOWrapper(handle, encoding="utf-8", errors="surrogateescape", newline="")
        reader = csv.DictReader(text)
        if reader.fieldnames is None:
            return
        while True:
            line = reader.line_num + 1
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield self._quarantine(line, f"not valid CSV ({exc})")
                continue
            if any(isinstance(v, str) and _has_surrogates(v) for v in row.values()):
                yield self._quarantine(line, "not UTF-8")
                continue
            if None in row:  # more fields than header columns
                yield self._quarantine(line, "more fields than the header has columns")
                continue
            yield self._record_or_quarantine(row, line)

    def _record_or_quarantine(self, row: Mapping[str, Any], line: int) -> QueryRecord | QuarantineEntry:
        try:
            return record_from_mapping(row, f"{self.path.name}:{line}")
        except RowError as exc:
            query_id = row.get("query_id") or row.get("QUERY_ID")
            return self._quarantine(line, str(exc), str(query_id) if query_id else None)


def _has_surrogates(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False
