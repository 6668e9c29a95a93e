"""Turn one ``QUERY_HISTORY``-shaped row into a :class:`QueryRecord`, or say why it cannot be.

Shared by every query-history source (file, Snowflake), so a row is judged the same way
wherever it comes from. A row is bad input, not a fault, when:

- ``query_id`` is missing, not a string, longer than :data:`MAX_QUERY_ID_CHARS`, or holds
  a control character;
- ``query_text`` is missing, not a string, empty, or holds a NUL character;
- a name (database, schema, user, role, warehouse, query type, status, tag, session id,
  parameterized hash) is a list, an object or a boolean where text is expected, longer
  than :data:`MAX_NAME_CHARS`, or holds a NUL character (``session_id`` may be a number:
  Snowflake's SESSION_ID is one);
- a timestamp is missing or not ISO 8601;
- any text holds a lone surrogate (``"\\ud800"`` in JSON): not valid Unicode, and no
  encoder downstream (fingerprints, the registry) can take it.

:class:`RowError` names the field and the problem and never quotes the value (query text
and names may hold PII). Sources quarantine such rows as ``malformed_row``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from lineage_engine.model import QueryRecord, SourceCursor

REQUIRED = ("query_id", "query_text", "end_time")
OPTIONAL_TEXT = (
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
MAX_QUERY_ID_CHARS = 256
"""Longest query id taken (Snowflake's are 36 characters; the registry keeps 256)."""
MAX_NAME_CHARS = 1024
"""Longest name taken (Snowflake identifiers are at most 255 characters)."""
_NUMERIC_OK = frozenset({"session_id"})


class RowError(ValueError):
    """A row is unusable; the message names the field and never quotes its value.

    Attributes:
        field: the offending field (lower case), or None for the row as a whole.
    """

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def parse_timestamp(value: Any, field: str) -> datetime:
    """Parse an ISO 8601 timestamp into an aware UTC datetime (no offset means UTC).

    Raises:
        RowError: the value is missing, not text, or not ISO 8601.
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
            raise RowError(f"{field} is not an ISO 8601 timestamp", field) from None
    elif value is None or value == "":
        raise RowError(f"{field} is missing", field)
    else:
        raise RowError(f"{field} is {_kind(value)}, expected an ISO 8601 timestamp", field)
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


def valid_query_id(value: Any) -> str | None:
    """Return the stripped query id when it is a usable one, else None (never raises)."""
    try:
        return _query_id(value)
    except RowError:
        return None


def record_from_mapping(row: Mapping[str, Any], position: str, cursor: SourceCursor | None = None) -> QueryRecord:
    """Build a QueryRecord from a QUERY_HISTORY-shaped mapping (keys in any case).

    Args:
        row: one row; keys are matched case-insensitively, unknown keys ignored.
        position: where the row came from (``file:line``), kept on the record.
        cursor: file sources: where reading resumes after the row.

    Raises:
        RowError: a field is missing, of the wrong type, too long, or not valid text
            (see the module docstring); the message names the field.
    """
    fields = {str(k).strip().lower(): v for k, v in row.items()}
    query_id = _query_id(fields.get("query_id"))
    text = fields.get("query_text")
    if text is None:
        raise RowError("query_text is missing", "query_text")
    if not isinstance(text, str):
        raise RowError(f"query_text is {_kind(text)}, expected text", "query_text")
    if not text.strip():
        raise RowError("query_text is empty", "query_text")
    if "\x00" in text:
        raise RowError("query_text holds a NUL character", "query_text")
    if has_surrogates(text):
        raise RowError("query_text is not valid Unicode (a lone surrogate)", "query_text")
    end_time = parse_timestamp(fields.get("end_time"), "end_time")
    start_raw = fields.get("start_time")
    start_time = parse_timestamp(start_raw, "start_time") if start_raw not in (None, "") else end_time
    names = {name: _name(fields.get(name), name) for name in OPTIONAL_TEXT}
    access_reads = None
    if fields.get("direct_objects_accessed") is not None or fields.get("base_objects_accessed") is not None:
        from lineage_engine.access.reads import access_reads_from_row  # an ACCESS_HISTORY-joined export (issue 14)

        access_reads = access_reads_from_row(fields.get("direct_objects_accessed"), fields.get("base_objects_accessed"))
    return QueryRecord(
        query_id=query_id,
        query_text=text,
        query_type=(names["query_type"] or "UNKNOWN").upper(),
        start_time=start_time,
        end_time=end_time,
        execution_status=(names["execution_status"] or "SUCCESS").upper(),
        database_name=names["database_name"],
        schema_name=names["schema_name"],
        session_id=names["session_id"],
        user_name=names["user_name"],
        role_name=names["role_name"],
        warehouse_name=names["warehouse_name"],
        query_tag=names["query_tag"],
        query_parameterized_hash=names["query_parameterized_hash"],
        position=position,
        cursor=cursor,
        access_reads=access_reads,
    )


_CONTROL = re.compile("[\x00-\x1f\x7f]")


def _query_id(value: Any) -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise RowError("query_id is missing", "query_id")
    if not isinstance(value, str):
        raise RowError(f"query_id is {_kind(value)}, expected a short string", "query_id")
    text = value.strip()
    if len(text) > MAX_QUERY_ID_CHARS:
        raise RowError(f"query_id is {len(text)} characters long, expected at most {MAX_QUERY_ID_CHARS}", "query_id")
    if _CONTROL.search(text):
        raise RowError("query_id holds a control character", "query_id")
    if has_surrogates(text):
        raise RowError("query_id is not valid Unicode (a lone surrogate)", "query_id")
    return text


def _name(value: Any, field: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)) or (
            isinstance(value, int) and field not in _NUMERIC_OK):
        raise RowError(f"{field} is {_kind(value)}, expected a name", field)
    text = str(value).strip()
    if "\x00" in text:
        raise RowError(f"{field} holds a NUL character", field)
    if len(text) > MAX_NAME_CHARS:
        raise RowError(f"{field} is {len(text)} characters long, expected at most {MAX_NAME_CHARS}", field)
    if has_surrogates(text):
        raise RowError(f"{field} is not valid Unicode (a lone surrogate)", field)
    return text or None


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, Mapping):
        return "an object"
    return f"a {type(value).__name__}"


def has_surrogates(value: str) -> bool:
    """Return True when ``value`` holds a lone surrogate (it cannot be encoded as UTF-8)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False
