"""Render rows for people and machines: Rich tables, JSON, CSV, JSON Lines.

Pure formatting: values in, text out. Datetimes print as ISO 8601 UTC. A path (a list of
node dicts or ids) prints as ``a → b → c`` in the direction data flows (origin first,
terminal last): callers hand paths over in that order (see :func:`flow_order`). In tables,
long ids wrap after a dot, an arrow or a space, never inside a name, and are folded only
when a single name is wider than its column.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, is_dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from lineage_engine.errors import InputError

if TYPE_CHECKING:
    from rich.console import Console, ConsoleOptions, RenderResult
    from rich.measure import Measurement
    from rich.table import Table

FORMATS = ("table", "json", "csv")
"""Values of ``--format`` wherever a command prints rows."""

ARROW = " → "
"""Between the steps of a path, origin first: ``origin → … → terminal``."""

_EDGE_LABEL_KEYS = ("transform", "query_type", "kind")


def check_format(value: str, option: str = "--format") -> str:
    """Return ``value`` when it is one of :data:`FORMATS`.

    Raises:
        InputError: any other value (the message lists the formats).
    """
    if value not in FORMATS:
        raise InputError(option, f"'{value}' is not a format; use {', '.join(FORMATS)}")
    return value


def flow_order(path: Sequence[Any]) -> list[Any]:
    """Return a downstream-first path (as DERIVES_FROM walks give it) in data-flow order, origin first."""
    return list(reversed(path))


def arrow_path(ids: Iterable[Any]) -> str:
    """Return ``a → b → c`` for the ids (or node dicts with ``id``) of a path, in the order given."""
    return ARROW.join(str(i.get("id")) if isinstance(i, Mapping) else str(i) for i in ids)


_SCALARS = frozenset({str, int, float, bool, type(None)})


def plain(value: Any) -> Any:
    """Return a JSON-able version of a value (datetimes as ISO 8601, dataclasses as dicts).

    A dict met several times (the hops paths share) is converted once and the result shared:
    read it, do not change it in place.
    """
    return _plain(value, {})


def _plain(value: Any, seen: dict[int, Any]) -> Any:
    kind = type(value)
    if kind in _SCALARS:
        return value
    if kind is dict:
        done = seen.get(id(value))
        if done is None:
            done = {k if type(k) is str else str(k): _plain(v, seen) for k, v in value.items()}
            seen[id(value)] = done  # value stays alive (it is inside the input), so its id is not reused
        return done
    if kind is list or kind is tuple:
        return [_plain(v, seen) for v in value]
    return _plain_other(value)


def _plain_other(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if is_dataclass(value) and not isinstance(value, type):
        return plain(asdict(value))
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [plain(v) for v in value]
    return value


PATH_COLUMNS = frozenset({"path"})
"""Columns whose list value is a path: printed ``a → b → c`` even when it holds plain ids."""


def column_cell(name: str, value: Any) -> str:
    """Return :func:`cell` of a value in column ``name`` (a path column joins its ids with arrows)."""
    if name in PATH_COLUMNS and isinstance(value, (list, tuple)):
        return arrow_path(value)
    return cell(value)


def cell(value: Any) -> str:
    """Return a short human rendering of one value.

    A list of nodes (dicts with ``id``) is a path, ``a → b``; a list of lineage edges prints
    each edge's ``transform``, else its ``query_type``, else its ``kind`` the same way; other lists are
    comma-joined; a dict prints its ``id`` or compact JSON.
    """
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, Mapping):
        return str(value.get("id", json.dumps(plain(value))))
    if isinstance(value, (list, tuple)):
        if value and all(isinstance(v, Mapping) and "id" in v for v in value):
            return arrow_path(value)
        if value and all(isinstance(v, Mapping) and any(v.get(k) for k in _EDGE_LABEL_KEYS) for v in value):
            return ARROW.join(str(next(v[k] for k in _EDGE_LABEL_KEYS if v.get(k))) for v in value)
        return ", ".join(cell(v) for v in value)
    return str(value)


# A piece: names up to and including a dot run or a space; a double-quoted part ("a.b", with ""
# escapes) is one unbreakable run, since its dots are part of the name (an unclosed quote is a char).
_PIECE = re.compile(r'(?:"(?:[^"]|"")*"|[^\s."]|")*(?:\.+\s*|\s+|$)')


class Wrapped:
    """Cell text that wraps after a dot, an arrow or a space, never inside a name (nor a quoted one).

    Rich measures it by its longest unbreakable piece, so a table gives the column at least
    that much room when the terminal allows; a piece wider than the column is folded.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.pieces = [p for p in _PIECE.findall(text) if p]

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        from rich.cells import cell_len
        from rich.measure import Measurement

        longest = max((cell_len(p.rstrip()) for p in self.pieces), default=0)
        return Measurement(min(longest, options.max_width), min(cell_len(self.text), options.max_width))

    def lines(self, width: int) -> list[str]:
        """Return the text broken into lines of at most ``width`` cells."""
        from rich.cells import cell_len

        width = max(1, width)
        lines: list[str] = []
        line = ""
        for piece in self.pieces:
            if cell_len((line + piece).rstrip()) <= width:
                line += piece
                continue
            if line.strip():
                lines.append(line.rstrip())
            line = piece
            while cell_len(line.rstrip()) > width:  # one name wider than the column: fold it
                lines.append(line[:width])
                line = line[width:]
        if line.strip() or not lines:
            lines.append(line.rstrip())
        return lines

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        from rich.segment import Segment

        for line in self.lines(options.max_width):
            yield Segment(line)
            yield Segment.line()


def rows_table(rows: Sequence[Mapping[str, Any]], title: str | None = None) -> Table:
    """Return a Rich table with one column per key of the first row; ids wrap on dots."""
    from rich.table import Table

    table = Table(title=title, show_lines=False)
    columns = list(rows[0].keys()) if rows else []
    for name in columns:
        table.add_column(name, overflow="fold")
    for row in rows:
        table.add_row(*(Wrapped(column_cell(name, row.get(name))) for name in columns))
    return table


def rows_json(rows: Sequence[Mapping[str, Any]]) -> str:
    """Return rows as a pretty JSON array: exactly ``json.dumps(plain(rows), indent=2)``."""
    out = io.StringIO()
    write_rows_json(rows, out)
    return out.getvalue()


def write_rows_json(rows: Sequence[Mapping[str, Any]], stream: Any) -> None:
    """Write :func:`rows_json` of ``rows`` to ``stream`` (a text stream) a row at a time.

    The text is exactly ``json.dumps(plain(rows), indent=2)`` (each row encoded by the ``json``
    module and indented one level; JSON strings hold no raw newline), and no whole-output string
    is built: a scan of 800,000 paths is written as it is encoded.
    """
    values = plain(list(rows))
    if not values:
        stream.write("[]")
        return
    encoder = json.JSONEncoder(indent=2)
    for n, value in enumerate(values):
        stream.write(("[\n  " if n == 0 else ",\n  ") + encoder.encode(value).replace("\n", "\n  "))
    stream.write("\n]")


def rows_csv(rows: Sequence[Mapping[str, Any]]) -> str:
    """Return rows as CSV with a header; nested values rendered as in tables."""
    buffer = io.StringIO()
    columns = list(rows[0].keys()) if rows else []
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([column_cell(name, row.get(name)) for name in columns])
    return buffer.getvalue()


def json_lines(items: Iterable[Any]) -> Iterable[str]:
    """Yield one compact JSON document per item, newline-terminated."""
    for item in items:
        yield json.dumps(plain(item), separators=(",", ":")) + "\n"
