"""Query history from a file: JSON Lines or CSV in Snowflake ``QUERY_HISTORY`` column shape.

Column names are matched case-insensitively (``QUERY_ID`` or ``query_id``): query_id,
query_text, query_type, start_time, end_time, execution_status, database_name, schema_name,
session_id (optional), user_name, role_name, warehouse_name, query_tag, and optionally
query_parameterized_hash. Timestamps are ISO 8601; a timestamp without an offset is read as
UTC (set the session ``TIMEZONE=UTC`` before exporting from Snowflake).

Reading is streaming (one row in memory at a time). A row that cannot be read (bad JSON,
a missing or mistyped field, bad timestamp, bytes that are not UTF-8; see
:mod:`lineage_engine.sources.rows`) is yielded as a :class:`QuarantineEntry` with
``file:line``; the crawl goes on.

**Position, not time.** Rows are read in file order and every item carries a
:class:`~lineage_engine.model.SourceCursor` (byte offset and line just after it). The
crawl stores :meth:`FileQueryHistorySource.checkpoint` of the last row it committed as the
watermark's ``position``: the byte offset, the line, and SHA-256 digests of the first and
of the last 4 KiB before the offset (the file's identity at that point). The next read
seeks there when the file still starts and continues with the same bytes (it may have
grown), so rows out of time order, or dated far in the future, never hide the rows after
them, and an unreadable row is quarantined once. A file that was replaced or rewritten
before the position (shorter, or other bytes) is read again from its start, with a warning;
rows already merged are then recognised by the graph (replays are idempotent).

A last line without a newline that does not hold a complete row (JSON that does not
parse, a CSV record with fewer fields than the header) is left for the next read: an
exporter may still be writing it.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from lineage_engine.errors import SourceError
from lineage_engine.model import QuarantineEntry, QueryRecord, SourceCursor, Watermark
from lineage_engine.sources.encoding import SNIFF_BYTES, UTF8, TextEncoding, UnknownEncodingError, detect_encoding
from lineage_engine.sources.rows import RowError, has_surrogates, parse_timestamp, record_from_mapping, valid_query_id

__all__ = ["FileQueryHistorySource", "RowError", "is_after", "parse_timestamp", "record_from_mapping"]

log = logging.getLogger(__name__)

POSITION_KIND = "file"
IDENTITY_BYTES = 4096
"""Bytes hashed at the start of the file and just before the position (the file's identity)."""
csv.field_size_limit(16 * 1024 * 1024)  # Snowflake caps query_text at 100K characters; be generous.


def is_after(record: QueryRecord, after: Watermark | None) -> bool:
    """Return True when the record's keyset ``(end_time, query_id)`` is after the watermark.

    Used only for a watermark stored before file positions existed (no ``position``).
    """
    if after is None or after.end_time is None:
        return True
    return (record.end_time, record.query_id) > (after.end_time, after.query_id)


@dataclass
class _Reader:
    """Bytes consumed so far: the offset after the last line read and its line number.

    Lines are split on the encoding's line feed (``0A 00`` in UTF-16 LE, on a code-unit
    boundary), so offsets stay byte offsets of the file whatever its encoding.
    """

    handle: BinaryIO
    offset: int = 0
    line: int = 0
    terminated: bool = True
    encoding: TextEncoding = UTF8

    def readline(self) -> bytes:
        raw = self.handle.readline() if self.encoding.unit == 1 else self._readline_wide()
        if raw:
            self.offset += len(raw)
            self.line += 1
            self.terminated = raw.endswith(self.encoding.newline) and len(raw) % self.encoding.unit == 0
        return raw

    def _readline_wide(self) -> bytes:
        """Read one UTF-16 line: up to a line feed code unit, never a 0A byte inside another unit."""
        big = self.encoding.codec.endswith("be")
        raw = b""
        while chunk := self.handle.readline():
            raw += chunk
            if not chunk.endswith(b"\n"):
                break  # end of file
            at = len(raw) - 1  # lines start on a code-unit boundary, so parity tells the byte's place
            if big and at % 2 == 1 and raw[at - 1] == 0:
                break
            if not big and at % 2 == 0:
                high = self.handle.read(1)
                raw += high
                if high in (b"\x00", b""):
                    break
        return raw

    def decode(self, raw: bytes, errors: str = "strict") -> str:
        """Decode one line in the file's encoding (lone UTF-16 surrogates kept with surrogatepass)."""
        if self.encoding.unit == 1:
            return raw.decode("utf-8", errors=errors)
        return raw.decode(self.encoding.codec, errors="surrogatepass" if errors != "strict" else errors)

    def text_lines(self) -> Iterator[str]:
        """Decoded lines for the csv module (it pulls exactly the lines one record needs)."""
        while raw := self.readline():
            yield self.decode(raw, errors="surrogateescape")

    @property
    def cursor(self) -> SourceCursor:
        return SourceCursor(offset=self.offset, line=self.line)


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
        """Yield rows after the watermark's position in file order, a QuarantineEntry per unreadable row.

        Every item carries its cursor. Without a position (no watermark, or one stored by an
        older version as ``(end_time, query_id)``) the file is read from its start; an old
        keyset watermark then skips the rows at or before it, once.

        Raises:
            SourceError: the file is missing or cannot be opened.
        """
        try:
            handle = self.path.open("rb")
        except FileNotFoundError:
            raise SourceError(
                str(self.path), "file not found; set telemetry.path to a QUERY_HISTORY export (JSON Lines or CSV)"
            ) from None
        except OSError as exc:
            raise SourceError(str(self.path), f"cannot open the file ({exc.strerror})") from None
        with handle:
            encoding = self._encoding(handle)
            start = self._resume_point(handle, after)
            legacy = after if after is not None and start is None else None
            reader = _Reader(handle, offset=encoding.bom, encoding=encoding)
            rows = self._csv_rows(reader, start) if self.format == "csv" else self._jsonl_rows(reader, start)
            for item in rows:
                if legacy is None or isinstance(item, QuarantineEntry) or is_after(item, legacy):
                    yield item

    def _encoding(self, handle: BinaryIO) -> TextEncoding:
        """Return the file's encoding from its first bytes (see :mod:`lineage_engine.sources.encoding`).

        Raises:
            SourceError: the file is none of UTF-8 (with or without BOM) and UTF-16 with a BOM;
                nothing is read, so the watermark stays where it is.
        """
        handle.seek(0)
        try:
            return detect_encoding(handle.read(SNIFF_BYTES))
        except UnknownEncodingError as exc:
            raise SourceError(str(self.path), f"cannot read this file: {exc}; export it again as UTF-8 (with or "
                              "without BOM) or UTF-16 with its BOM") from None
        finally:
            handle.seek(0)

    def checkpoint(self, cursor: SourceCursor) -> dict[str, Any]:
        """Return the JSON-able watermark position just after ``cursor`` (see the module docstring).

        Raises:
            SourceError: the file cannot be read any more.
        """
        try:
            with self.path.open("rb") as handle:
                head, tail = _identity(handle, cursor.offset)
        except OSError as exc:
            raise SourceError(str(self.path), f"cannot read the file ({exc.strerror})") from None
        return {"kind": POSITION_KIND, "offset": cursor.offset, "line": cursor.line, "head": head, "tail": tail}

    def _resume_point(self, handle: BinaryIO, after: Watermark | None) -> SourceCursor | None:
        """Return where to start: the stored position when the file still matches it, else the start.

        None means "no usable position": read from the start (and apply a legacy keyset).
        """
        position = after.position if after is not None else None
        if not position or position.get("kind") != POSITION_KIND:
            return None
        offset, line = int(position.get("offset", 0)), int(position.get("line", 0))
        size = handle.seek(0, io.SEEK_END)
        same = size >= offset and _identity(handle, offset) == (position.get("head"), position.get("tail"))
        if not same:
            log.warning("query-history file %s changed before the stored position (line %d): it was replaced or "
                        "rewritten, so it is read again from its start", self.path, line,
                        extra={"event": "source_file_replaced", "source": self.key, "line": line})
            return SourceCursor(offset=0, line=0)
        return SourceCursor(offset=offset, line=line)

    def _quarantine(self, line: int, reason: str, cursor: SourceCursor, query_id: str | None = None) -> QuarantineEntry:
        return QuarantineEntry(
            source=self.key,
            query_id=query_id,
            position=f"{self.path.name}:{line}",
            reason_code="malformed_row",
            reason=reason,
            cursor=cursor,
        )

    def _jsonl_rows(self, reader: _Reader, start: SourceCursor | None) -> Iterator[QueryRecord | QuarantineEntry]:
        if start is not None and start.offset > reader.offset:
            reader.handle.seek(start.offset)
            reader.offset, reader.line = start.offset, start.line
        else:
            reader.handle.seek(reader.offset)  # the start, after any byte-order mark
        while raw := reader.readline():
            number = reader.line
            try:
                line = reader.decode(raw)
            except UnicodeDecodeError as exc:
                yield self._quarantine(number, f"not {reader.encoding.label} (byte {exc.start})", reader.cursor)
                continue
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                if not reader.terminated:
                    return  # an unfinished last line: left for the next read
                yield self._quarantine(number, f"not valid JSON ({exc.msg} at column {exc.colno})", reader.cursor)
                continue
            if not isinstance(row, dict):
                yield self._quarantine(number, "a line must hold one JSON object", reader.cursor)
                continue
            yield self._record_or_quarantine(row, number, reader.cursor)

    def _csv_rows(self, reader: _Reader, start: SourceCursor | None) -> Iterator[QueryRecord | QuarantineEntry]:
        reader.handle.seek(reader.offset)  # the start, after any byte-order mark
        lines = reader.text_lines()
        try:
            header = next(csv.reader(lines))
        except (StopIteration, csv.Error):
            return
        if start is not None and start.offset > reader.offset:
            reader.handle.seek(start.offset)
            reader.offset, reader.line = start.offset, start.line
        records = csv.reader(reader.text_lines())
        while True:
            first_line = reader.line + 1
            try:
                values = next(records)
            except StopIteration:
                return
            except csv.Error as exc:
                if not reader.terminated:
                    return
                yield self._quarantine(first_line, f"not valid CSV ({exc})", reader.cursor)
                continue
            if not values:
                continue  # a blank line
            if not reader.terminated and len(values) < len(header):
                return  # an unfinished last record: left for the next read
            if any(has_surrogates(v) for v in values):
                yield self._quarantine(first_line, f"not {reader.encoding.label}", reader.cursor)
                continue
            if len(values) > len(header):
                yield self._quarantine(first_line, "more fields than the header has columns", reader.cursor)
                continue
            yield self._record_or_quarantine(dict(zip(header, values)), first_line, reader.cursor)

    def _record_or_quarantine(
        self, row: Mapping[str, Any], line: int, cursor: SourceCursor
    ) -> QueryRecord | QuarantineEntry:
        try:
            return record_from_mapping(row, f"{self.path.name}:{line}", cursor)
        except RowError as exc:
            query_id = next((v for k, v in row.items() if str(k).strip().lower() == "query_id"), None)
            return self._quarantine(line, str(exc), cursor, valid_query_id(query_id))


def _identity(handle: BinaryIO, offset: int) -> tuple[str, str]:
    """Return SHA-256 hex digests of the first and of the last :data:`IDENTITY_BYTES` before ``offset``."""
    handle.seek(0)
    head = hashlib.sha256(handle.read(min(offset, IDENTITY_BYTES))).hexdigest()
    begin = max(0, offset - IDENTITY_BYTES)
    handle.seek(begin)
    tail = hashlib.sha256(handle.read(offset - begin)).hexdigest()
    return head, tail

