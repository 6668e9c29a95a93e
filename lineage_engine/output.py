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


def write_rows_json(rows: Iterable[Mapping[str, Any]], stream: Any) -> None:
    """Write :func:`rows_json` of ``rows`` to ``stream`` (a text stream) a row at a time.

    The text is exactly ``json.dumps(plain(rows), indent=2)`` and no whole-output string (nor
    converted copy) is built: a scan of 800,000 paths is written as it is encoded. ``rows``
    may be any iterable (a generator is read one row at a time). Dicts shared between rows
    (the hop dicts of paths through the same edges) are encoded once (:class:`IndentedJson`).
    """
    encoder = IndentedJson()
    first = True
    for row in rows:
        stream.write(("[\n  " if first else ",\n  ") + encoder.encode(row, 1))
        first = False
    stream.write("[]" if first else "\n]")


class IndentedJson:
    """``json.dumps(plain(value), indent=2)`` text, with dicts met more than once encoded once.

    :meth:`encode` returns exactly the text the ``json`` module writes for :func:`plain` of
    ``value`` nested ``level`` deep in an ``indent=2`` document (its inner lines indented
    accordingly). A dict inside ``value`` met a second time (the same object at the same
    depth: the hops paths share) is encoded then and its text reused afterwards; the encoder
    keeps such dicts alive (their ids are the keys). Do not change a dict after encoding it.
    """

    __slots__ = ("_texts", "_met")

    def __init__(self) -> None:
        self._texts: dict[tuple[int, int], tuple[Any, str]] = {}
        self._met: dict[tuple[int, int], Any] = {}

    def encode(self, value: Any, level: int = 0) -> str:
        """Return the text of ``plain(value)`` at depth ``level`` (0: a whole document)."""
        return self._encode(value, level, top=True)

    def _encode(self, value: Any, level: int, top: bool = False) -> str:
        kind = type(value)
        if kind is str:
            return _ENCODE_STR(value)
        if kind is dict:
            if top:
                return self._dict(value, level)
            key = (id(value), level)
            done = self._texts.get(key)
            if done is not None:
                return done[1]
            text = self._dict(value, level)
            if key in self._met:  # the second time: keep the text
                del self._met[key]
                self._texts[key] = (value, text)
            else:
                self._met[key] = value
            return text
        if kind is list or kind is tuple:
            if not value:
                return "[]"
            inner = "\n" + "  " * (level + 1)
            return ("[" + inner + ("," + inner).join(self._encode(v, level + 1) for v in value)
                    + "\n" + "  " * level + "]")
        if kind is int or kind is float or kind is bool or value is None:
            return _PLAIN_ENCODER.encode(value)
        converted = plain(value)  # datetimes, dataclasses, sets, other mappings
        if converted is value:  # a str or int subclass (an enum): as the json module writes it
            return _PLAIN_ENCODER.encode(value)
        return self._encode(converted, level, top=True)

    def _dict(self, value: dict[Any, Any], level: int) -> str:
        if not value:
            return "{}"
        inner = "\n" + "  " * (level + 1)
        return ("{" + inner + ("," + inner).join(
            _ENCODE_STR(k if type(k) is str else str(k)) + ": " + self._encode(v, level + 1) for k, v in value.items())
            + "\n" + "  " * level + "}")


_ENCODE_STR = json.encoder.encode_basestring_ascii  # type: ignore[attr-defined]
_PLAIN_ENCODER = json.JSONEncoder()


def rows_csv(rows: Sequence[Mapping[str, Any]]) -> str:
    """Return rows as CSV with a header; nested values rendered as in tables."""
    buffer = io.StringIO()
    write_rows_csv(rows, buffer)
    return buffer.getvalue()


def write_rows_csv(rows: Iterable[Mapping[str, Any]], stream: Any) -> None:
    """Write :func:`rows_csv` of ``rows`` to ``stream`` a row at a time (the first row's keys are the header).

    ``rows`` may be any iterable (a generator is read one row at a time); nothing is written
    for no rows.
    """
    writer = csv.writer(stream, lineterminator="\n")
    columns: list[str] | None = None
    for row in rows:
        if columns is None:
            columns = list(row.keys())
            writer.writerow(columns)
        writer.writerow([column_cell(name, row.get(name)) for name in columns])


def json_lines(items: Iterable[Any]) -> Iterable[str]:
    """Yield one compact JSON document per item, newline-terminated."""
    for item in items:
        yield json.dumps(plain(item), separators=(",", ":")) + "\n"
