"""Render rows for people and machines: Rich tables, JSON, CSV, JSON Lines.

Pure formatting: values in, text out. Datetimes print as ISO 8601 UTC; node dicts in paths
print as their ids.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, is_dataclass
from datetime import datetime
from typing import Any

from rich.table import Table


def plain(value: Any) -> Any:
    """Return a JSON-able version of a value (datetimes as ISO 8601, dataclasses as dicts)."""
    if isinstance(value, datetime):
        return value.isoformat()
    if is_dataclass(value) and not isinstance(value, type):
        return plain(asdict(value))
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [plain(v) for v in value]
    return value


def cell(value: Any) -> str:
    """Return a short human rendering: a path of nodes as ``a -> b``, lists comma-joined."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, Mapping):
        return str(value.get("id", json.dumps(plain(value))))
    if isinstance(value, (list, tuple)):
        if value and all(isinstance(v, Mapping) and "id" in v for v in value):
            return " -> ".join(str(v["id"]) for v in value)
        return ", ".join(cell(v) for v in value)
    return str(value)


def rows_table(rows: Sequence[Mapping[str, Any]], title: str | None = None) -> Table:
    """Return a Rich table with one column per key of the first row."""
    table = Table(title=title, show_lines=False)
    columns = list(rows[0].keys()) if rows else []
    for name in columns:
        table.add_column(name, overflow="fold")
    for row in rows:
        table.add_row(*(cell(row.get(name)) for name in columns))
    return table


def rows_json(rows: Sequence[Mapping[str, Any]]) -> str:
    """Return rows as a pretty JSON array."""
    return json.dumps(plain(list(rows)), indent=2, sort_keys=False)


def rows_csv(rows: Sequence[Mapping[str, Any]]) -> str:
    """Return rows as CSV with a header; nested values rendered as in tables."""
    buffer = io.StringIO()
    columns = list(rows[0].keys()) if rows else []
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([cell(row.get(name)) for name in columns])
    return buffer.getvalue()


def json_lines(items: Iterable[Any]) -> Iterable[str]:
    """Yield one compact JSON document per item, newline-terminated."""
    for item in items:
        yield json.dumps(plain(item), separators=(",", ":")) + "\n"
