"""Saved Cypher traces: ``cypher/NAME.cypher`` files with a comment header.

Header format (leading ``//`` lines, before the first Cypher line)::

    // Every unmasked path from a sensitive origin, as of an instant.
    // params:  $origins (list, dataset ids), $as_of (datetime, UTC; default now)
    // returns: origin, terminal, hops, path (nodes, terminal first)

Lines before ``params:`` form the description; ``params:`` may continue on following
comment lines that start with ``$``. Types: ``string``, ``int``, ``datetime``, ``list``
(comma-separated strings on the command line). A declared ``datetime`` parameter named
``as_of`` is optional: :func:`coerce_params` fills it with the current time (UTC).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime
from pathlib import Path

from lineage_engine.errors import InputError, UnknownTraceError
from lineage_engine.graph.read_only_cypher import find_write_clause
from lineage_engine.model import SavedTrace, TraceParam
from lineage_engine.resources import cypher_dir

TYPES: tuple[str, ...] = ("string", "int", "datetime", "list")
NOW = "now"
"""Default marker: the current time (UTC) when the trace runs."""

_PARAM = re.compile(r"\$([A-Za-z_]\w*)\s*\(([^()]*)\)")
_USED = re.compile(r"\$([A-Za-z_]\w*)")
_COMMENT = re.compile(r"//[^\n]*")


def load_trace(name: str, directory: Path | None = None) -> SavedTrace:
    """Load one saved trace by name (``unmasked_pii_paths`` or ``unmasked_pii_paths.cypher``).

    Raises:
        UnknownTraceError: no such trace; ``suggestion`` holds the closest name.
        InputError: the file's header is invalid (names the file and the problem).
    """
    folder = directory or cypher_dir()
    stem = name.removesuffix(".cypher")
    path = folder / f"{stem}.cypher"
    if not re.fullmatch(r"[A-Za-z0-9_\-]+", stem) or not path.is_file():
        names = [p.stem for p in folder.glob("*.cypher")]
        close = difflib.get_close_matches(stem, names, n=1, cutoff=0.5)
        raise UnknownTraceError(name, close[0] if close else None)
    return parse_trace(stem, path.read_text(encoding="utf-8"), source=str(path))


def load_trace_file(path: Path) -> SavedTrace:
    """Load a user's trace file (any name, same header format as the saved traces).

    Raises:
        InputError: the file cannot be read, or its header or clauses are invalid
            (see :func:`parse_trace`: a trace may only read).
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        reason = err.strerror if isinstance(err, OSError) and err.strerror else type(err).__name__
        raise InputError(str(path), f"cannot read the trace file ({reason})") from None
    return parse_trace(path.stem, text, source=str(path))


def list_traces(directory: Path | None = None) -> list[SavedTrace]:
    """Return every saved trace in ``directory`` (default: the shipped ones), by name.

    Raises:
        InputError: a file's header is invalid.
    """
    folder = directory or cypher_dir()
    return [parse_trace(p.stem, p.read_text(encoding="utf-8"), source=str(p))
            for p in sorted(folder.glob("*.cypher"))]


def parse_trace(name: str, text: str, *, source: str = "") -> SavedTrace:
    """Parse a trace's header into a :class:`SavedTrace`.

    Raises:
        InputError: the text holds a clause that is not a read
            (:func:`~lineage_engine.graph.read_only_cypher.find_write_clause`), an unknown
            parameter type, a duplicate parameter, or a ``$name`` used in the query but not
            declared in ``params:``.
    """
    where = source or f"trace '{name}'"
    description: list[str] = []
    params_text: list[str] = []
    returns = ""
    section = "description"
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped:
            continue
        if not stripped.startswith("//"):
            break
        body = stripped[2:].strip()
        key, _, rest = body.partition(":")
        if key.strip().lower() == "params":
            section, body = "params", rest.strip()
        elif key.strip().lower() == "returns":
            section, returns = "returns", rest.strip()
            continue
        elif section == "params" and not body.startswith("$"):
            section = "other"
        if section == "description" and body and not body.endswith(".cypher"):
            description.append(body)
        elif section == "params":
            params_text.append(body)
        elif section == "returns" and body:
            returns = f"{returns} {body}".strip()
    clause = find_write_clause(text)
    if clause is not None:
        raise InputError(where, f"holds {clause}, which is not a read; traces may only read the graph "
                         "(MATCH, OPTIONAL MATCH, WITH, UNWIND, RETURN, CALL subqueries), so it is not run")
    params = _parse_params(" ".join(params_text), where)
    declared = {p.name for p in params}
    used = set(_USED.findall(_COMMENT.sub("", text)))
    if used - declared:
        undeclared = ", ".join(f"${n}" for n in sorted(used - declared))
        raise InputError(where, f"uses {undeclared} without declaring it in the '// params:' header")
    return SavedTrace(name=name, text=text, description=" ".join(description), params=params, returns=returns)


def _parse_params(text: str, where: str) -> tuple[TraceParam, ...]:
    params: list[TraceParam] = []
    for match in _PARAM.finditer(text):
        name, inside = match.group(1), match.group(2)
        type_, _, doc = (part.strip() for part in inside.partition(","))
        type_ = type_.lower()
        if type_ not in TYPES:
            raise InputError(where, f"parameter ${name} has type '{type_}'; expected one of {', '.join(TYPES)}")
        if any(p.name == name for p in params):
            raise InputError(where, f"parameter ${name} is declared twice")
        default = NOW if (name == "as_of" and type_ == "datetime") else None
        params.append(TraceParam(name=name, type=type_, doc=doc, default=default))
    return tuple(params)


def coerce_params(trace: SavedTrace, raw: Mapping[str, str], *, now: datetime | None = None) -> dict[str, object]:
    """Convert command-line strings to the trace's declared parameter types.

    Args:
        trace: the trace whose ``params`` declare names and types.
        raw: ``{name: text}`` as typed by the user (names with or without ``$``).
        now: the instant used for an omitted ``as_of`` (default: the current time, UTC).

    Returns:
        ``{name: value}`` for every declared parameter: ``datetime`` aware UTC (ISO-8601;
        a date means midnight UTC, a time without offset is taken as UTC, ``now`` is the
        current time), ``int``, ``list`` of stripped non-empty strings, ``string`` as is.

    Raises:
        InputError: unknown or missing parameter, or a value not of the declared type
            (the error names the parameter).
    """
    values = {key.lstrip("$"): value for key, value in raw.items()}
    declared = {p.name: p for p in trace.params}
    for key in values:
        if key not in declared:
            close = difflib.get_close_matches(key, list(declared), n=1)
            hint = f"; did you mean ${close[0]}?" if close else ""
            expected = ", ".join(f"${n}" for n in declared) or "none"
            raise InputError(f"parameter ${key}", f"trace '{trace.name}' takes no such parameter "
                             f"(it takes {expected}){hint}")
    result: dict[str, object] = {}
    for param in trace.params:
        if param.name in values:
            result[param.name] = _coerce(param, values[param.name], now)
        elif param.default is not None:
            result[param.name] = _coerce(param, str(param.default), now)
        else:
            raise InputError(f"parameter ${param.name}", f"trace '{trace.name}' needs it "
                             f"({param.type}{', ' + param.doc if param.doc else ''})")
    return result


def _coerce(param: TraceParam, text: str, now: datetime | None) -> object:
    where = f"parameter ${param.name}"
    text = text.strip()
    if param.type == "int":
        try:
            return int(text)
        except ValueError:
            raise InputError(where, f"'{text}' is not an integer") from None
    if param.type == "list":
        return [item.strip() for item in text.split(",") if item.strip()]
    if param.type == "datetime":
        return parse_instant(text, where=where, now=now)
    return text


def parse_instant(text: str, *, where: str = "datetime", now: datetime | None = None) -> datetime:
    """Parse ISO-8601 (or ``now``) into an aware UTC datetime; naive times are UTC.

    Raises:
        InputError: not ISO-8601.
    """
    if text.lower() == NOW:
        return (now or datetime.now(UTC)).astimezone(UTC)
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        try:
            value = datetime.combine(date.fromisoformat(text), datetime.min.time())
        except ValueError:
            raise InputError(where, f"'{text}' is not an ISO-8601 date or time, "
                             "e.g. 2024-03-14 or 2024-03-14T09:30:00Z") from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


_DOWNSTREAM_FIRST = re.compile(r"\b(downstream|terminal) first\b")


def in_flow_order(trace: SavedTrace, rows: list[dict[str, object]]) -> list[dict[str, object]]:
    """Return rows with ``path`` and ``edges`` listed origin first (the direction data flows).

    A trace whose ``returns:`` header says its path is ``downstream first`` or ``terminal
    first`` (an upstream walk: ``nodes(p)`` starts at the derived object) has both lists
    reversed, so every trace, the scan, findings and alerts print ``origin → … → terminal``.
    Other rows are returned unchanged. Pure.
    """
    if not _DOWNSTREAM_FIRST.search(trace.returns or ""):
        return rows
    return [{k: (list(reversed(v)) if k in ("path", "edges") and isinstance(v, (list, tuple)) else v)
             for k, v in row.items()} for row in rows]
