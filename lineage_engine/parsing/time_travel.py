"""Snowflake Time Travel reads: which point of a table's history a statement reads.

``SELECT ... FROM t AT (TIMESTAMP => ...)``, ``... BEFORE (STATEMENT => 'id')``,
``CREATE TABLE c CLONE t AT (OFFSET => -600)`` and ``FROM t CHANGES (...) AT (...)``
(Snowflake "AT | BEFORE", "CREATE ... CLONE", "CHANGES") read ``t``'s content at an earlier
point, not its current content. This module finds those points in a statement (pure: the
AST in, :class:`~lineage_engine.model.TravelPoint` values out) and turns one into the
instant whose content was read, once the crawl knows the statement's times and the query
ids it has seen (:func:`read_instant`).

Instants (aware UTC; the walk compares them with the statement end times the graph keeps):

- ``AT (TIMESTAMP => T)`` reads the content *after* every change made at ``T``: the instant
  is ``T`` plus 1 microsecond; ``BEFORE (...)`` the content before them: ``T`` minus 1
  microsecond. ``CHANGES ... AT`` reads the changes since the point (its hull runs to the
  statement anyway), as ``AT``.
- A timestamp with a zone (``+02:00``, ``Z``) is exact. Without one, Snowflake uses the
  session's time zone (``TIMEZONE``, America/Los_Angeles by default), which the query history
  does not give: the point is not known (:data:`ANY_EARLIER`).
- ``OFFSET => -600`` counts seconds back from the statement's start: the row's
  ``START_TIME`` when it has one, else its ``END_TIME``.
- ``STATEMENT => 'id'``: the ``END_TIME`` of that query when the crawl has seen it (a
  statement that changed lineage, kept in the registry's ``statements``), else unknown.
- Anything not understood (an expression, a variable, ``STREAM =>``) or not known is
  :data:`ANY_EARLIER`: a read of any content the table held before the statement (the
  walk reads it as the window from the epoch to the statement, never as one instant). The
  graph then over-reports; it never reads only the current incarnation.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta, timezone

from sqlglot import exp

from lineage_engine.model import LineageEvent, StatementLineage, TravelPoint
from lineage_engine.parsing.normalize import NameContext, table_ref

ANY_EARLIER = datetime(1970, 1, 1, tzinfo=timezone.utc)
"""The instant of a point not understood or not known: every earlier content counts."""

CURRENT = "current"
"""``TravelPoint.clause`` of a plain read (no point) of a table the same statement also reads at
a point (``INSERT INTO d SELECT * FROM t MINUS SELECT * FROM t AT (...)``): the statement read
``t`` twice, at the point and as it is at the statement (:func:`read_now`)."""

_TICK = timedelta(microseconds=1)
_ZONE_GAP = re.compile(r"\s+(?=[+-]\d{2}:?\d{2}$)")
MENTIONS = re.compile(r"\b(?:AT|BEFORE)\s*\(", re.IGNORECASE)
"""A text that may hold a Time Travel clause (a cheap test before walking the AST)."""


def travel_points(node: exp.Expr, context: NameContext) -> tuple[TravelPoint, ...]:
    """Return the Time Travel reads of one statement, in text order (empty for none)."""
    points: list[TravelPoint] = []
    for table in node.find_all(exp.Table):
        when = table.args.get("when")
        changes = table.args.get("changes")
        clause = None
        if isinstance(when, exp.HistoricalData):
            clause = "before" if str(when.this).upper() == "BEFORE" else "at"
        elif isinstance(changes, exp.Changes) and isinstance(changes.args.get("at_before"), exp.HistoricalData):
            when, clause = changes.args["at_before"], "changes"
            if str(when.this).upper() == "BEFORE":
                clause = "before"
        if clause is None:
            continue
        ref, _problem = table_ref(table, context)
        if ref is None:
            continue
        by, value = _point(when)
        points.append(TravelPoint(ref.id, clause, by, value))
    if points:  # the same table also read as it is now (t MINUS t AT (...)): both reads count
        travelled = {p.dataset for p in points}
        for table in node.find_all(exp.Table):
            if table.args.get("when") is None and table.args.get("changes") is None:
                ref, _problem = table_ref(table, context)
                if ref is not None and ref.id in travelled:
                    points.append(TravelPoint(ref.id, CURRENT, "", ""))
    return tuple(dict.fromkeys(points))


def _point(when: exp.HistoricalData) -> tuple[str, str]:
    kind = str(when.args.get("kind") or "").upper()
    value = when.expression
    if kind == "TIMESTAMP":
        while isinstance(value, exp.Cast | exp.TryCast):
            value = value.this
        if isinstance(value, exp.Literal) and value.is_string:
            return "timestamp", value.this
    elif kind == "OFFSET":
        seconds = _number(value)
        if seconds is not None:
            return "offset", repr(seconds)
    elif kind == "STATEMENT" and isinstance(value, exp.Literal) and value.is_string:
        return "statement", value.this
    return "unknown", ""


def _number(node: exp.Expr | None) -> float | None:
    """Evaluate a constant arithmetic expression (``-600``, ``-60*5``); None otherwise."""
    if isinstance(node, exp.Literal) and not node.is_string:
        try:
            return float(node.this)
        except ValueError:
            return None
    if isinstance(node, exp.Neg):
        inner = _number(node.this)
        return None if inner is None else -inner
    if isinstance(node, exp.Paren):
        return _number(node.this)
    if isinstance(node, exp.Mul | exp.Add | exp.Sub):
        a, b = _number(node.this), _number(node.expression)
        if a is None or b is None:
            return None
        return a * b if isinstance(node, exp.Mul) else a + b if isinstance(node, exp.Add) else a - b
    return None


def parse_timestamp(text: str) -> tuple[datetime, bool] | None:
    """Return ``(instant, zoned)`` for an ISO 8601 timestamp literal (naive: as UTC), else None."""
    text = _ZONE_GAP.sub("", text.strip())
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc), False
    return value.astimezone(timezone.utc), True


def read_instant(point: TravelPoint, *, start: datetime | None, end: datetime,
                 statement_end: Callable[[str], datetime | None]) -> datetime:
    """Return the instant whose content ``point`` reads (see the module doc), aware UTC.

    Args:
        point: a point of :func:`travel_points`.
        start, end: the statement's ``START_TIME`` (None when the row has none) and ``END_TIME``.
        statement_end: the ``END_TIME`` of a query id the crawl has seen, else None.

    Returns:
        The instant, or :data:`ANY_EARLIER` when the point is not understood or not known.
    """
    shift = -_TICK if point.clause == "before" else _TICK
    if point.by == "timestamp":
        parsed = parse_timestamp(point.value)
        if parsed is None:
            return ANY_EARLIER
        instant, zoned = parsed
        return instant + shift if zoned else ANY_EARLIER
    if point.by == "offset":
        try:
            seconds = float(point.value)
        except ValueError:
            return ANY_EARLIER
        base = start if start is not None else end
        return base + timedelta(seconds=seconds) + shift
    if point.by == "statement":
        seen = statement_end(point.value)
        return ANY_EARLIER if seen is None else seen + shift
    return ANY_EARLIER


def row_points(statements: Iterable[StatementLineage], *, start: datetime | None, end: datetime,
               statement_end: Callable[[str], datetime | None]) -> dict[str, datetime]:
    """Return ``{source dataset id: instant}`` of the Time Travel reads of one row's statements.

    The earliest instant per source when the row reads one source at several points; empty
    for a row without Time Travel reads. The session resolver
    (:meth:`~lineage_engine.parsing.temp_tables.SessionResolver.feed`) gives each event the
    points of the sources it reads, directly or through the temporary objects it copies: a
    point applies to every event of the row that reads that source (a row that reads a table
    both ways gets the wider window).
    """
    points: dict[str, datetime] = {}
    for st in statements:
        for point in st.read_points:
            if point.clause == CURRENT:
                continue  # a plain read (read_now)
            instant = read_instant(point, start=start, end=end, statement_end=statement_end)
            points[point.dataset] = min(instant, points.get(point.dataset, instant))
    return points


def read_now(statements: Iterable[StatementLineage]) -> frozenset[str]:
    """Return the dataset ids one row's statements read both at a Time Travel point and as they are
    (a :data:`CURRENT` point next to a real one; empty for most rows)."""
    return frozenset(p.dataset for st in statements for p in st.read_points if p.clause == CURRENT)


def with_reads_now(event: LineageEvent, now: Collection[str]) -> LineageEvent:
    """Return ``event`` with a read at its own instant added to ``read_points`` for each source in
    ``now`` that it reads at an earlier point (not its own target: a restore reads its past only).

    The edge from such a source then counts two reads (:func:`~lineage_engine.graph.intervals.reads_of`):
    the walk reads the hull from the point to the statement, not the point alone
    (``exposure.walk.single_read_of_the_past``), so content the source got after the point is
    not missed. A copy through a temporary object (``via``) reads the hull already.
    """
    if event.via or not now:
        return event
    extra = {(s, event.at) for s, p in event.read_points if s in now and s != event.target.id and p < event.at}
    if not extra:
        return event
    return replace(event, read_points=tuple(sorted({*event.read_points, *extra})))


class HiddenColumns:
    """A schema provider that does not know the datasets a statement reads at a Time Travel point.

    Their current columns are not those of the point: a ``SELECT *`` or a ``CLONE`` of them
    stays ``t.*`` (every column the table had then), which the column walk follows from
    any column of ``t``.
    """

    __slots__ = ("_base", "_hidden")

    def __init__(self, base: object, hidden: Iterable[str]) -> None:
        self._base = base
        self._hidden = frozenset(hidden)

    def columns_of(self, dataset_id: str) -> Sequence[str] | None:
        """Return None for a hidden dataset, else the base provider's answer."""
        if dataset_id in self._hidden:
            return None
        return self._base.columns_of(dataset_id)  # type: ignore[attr-defined, no-any-return]
