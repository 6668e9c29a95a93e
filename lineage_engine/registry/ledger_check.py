"""Check the findings ledger against its event log: a finding edited outside lineage-engine.

The hash chain (:mod:`lineage_engine.registry.events`) proves that the *events* were not
edited, removed or inserted; it says nothing of the ``findings`` rows they describe. A row
set to ``resolved`` by SQL, an acceptance extended, or a finding deleted or added by hand
left the chain intact and ``findings verify`` said "event log intact". This module replays
each finding's events (oldest first) into the state they imply and compares it with the row:

==============  ==================================================================
event           state it implies
==============  ==================================================================
``genesis``     ``status`` (and origin, terminal) as recorded by migration 0006
``opened``      ``open``, ``opened_at`` = the event's time, no ``resolved_at``, not accepted
``resolved``    ``resolved``, ``resolved_at`` = the time of the event that resolved it
                (a later window event on a resolved finding keeps it), not accepted
``accepted``    accepted at the event's time, until ``details.until``, by its actor, for its reason
``reopened``    open, not accepted
``escalated``,  no change of status or acceptance
``alerted``
==============  ==================================================================

Checked per finding: it has events; ``status``, ``opened_at`` and ``resolved_at`` (when an
event set them), the four acceptance fields, and ``origin`` / ``terminal`` (the ends of the
``opened`` event's path, or the ``genesis`` record). Not checked: ``severity`` (a scan lowers
it without an event: only rises are recorded), ``last_seen_at`` and the explanation (scans change
them without an event, by design; an open finding's ``last_seen_at`` is the latest scan's, from
``finding_scans``), alert bookkeeping. Pure code: the caller
passes rows (any objects with the attributes used) and events grouped by finding.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from lineage_engine.registry.tables import FindingEventRow, FindingRow

_UNSET: Any = object()
_CHUNK = 5_000


class EventLike(Protocol):
    """The fields of a finding event the replay reads (a :class:`FindingEventRow` or a row of a select)."""

    event: str
    at: datetime
    actor: str
    reason: str | None
    details: Mapping[str, Any] | None


@dataclass(frozen=True, slots=True)
class LedgerMismatch:
    """A finding whose row does not say what its events say.

    Attributes:
        finding_id: the finding (``findings.id``, or the id its events name).
        problem: plain words, e.g. ``status is 'resolved' but its events say 'open'``.
    """

    finding_id: int
    problem: str


def _text(value: Any) -> str:
    return "none" if value is None else repr(value.isoformat() if isinstance(value, datetime) else value)


def replay(events: Sequence[EventLike]) -> dict[str, Any]:
    """Return the state ``events`` (one finding's, oldest first) imply: a dict of the fields an
    event set (``status``, ``opened_at``, ``resolved_at``, ``accepted_at``, ``accepted_until``,
    ``accepted_by``, ``accepted_reason``, ``origin``, ``terminal``); a field no event set is absent
    (not checked)."""
    state: dict[str, Any] = {}
    for event in events:
        details = event.details or {}
        kind = event.event
        if kind == "genesis":
            state.update(status=details.get("status"), origin=details.get("origin"), terminal=details.get("terminal"))
            state.pop("opened_at", None)
            state.pop("resolved_at", None)
            _clear(state)
        elif kind == "opened":
            state.update(status="open", opened_at=event.at, resolved_at=None)
            path = details.get("path")
            if isinstance(path, list) and path:
                state.update(origin=path[0], terminal=path[-1])
            _clear(state)
        elif kind == "resolved":
            if state.get("status") != "resolved":
                state["resolved_at"] = event.at
            state["status"] = "resolved"
            _clear(state)
        elif kind == "accepted":
            until = details.get("until")
            state.update(status="open", accepted_at=event.at,
                         accepted_until=datetime.fromisoformat(until) if isinstance(until, str) else None,
                         accepted_by=event.actor, accepted_reason=event.reason)
        elif kind == "reopened":
            state["status"] = "open"
            _clear(state)
    return state


def _clear(state: dict[str, Any]) -> None:
    state.update(accepted_at=None, accepted_until=None, accepted_by=None, accepted_reason=None)


_FIELDS = ("status", "origin", "terminal", "opened_at", "resolved_at", "accepted_at", "accepted_until",
           "accepted_by", "accepted_reason")


def compare(row: Any, events: Sequence[EventLike]) -> str | None:
    """Return what in ``row`` (a finding) does not match its ``events`` (oldest first), or None."""
    if not events:
        return "it has no event (added outside lineage-engine, or its events were removed)"
    state = replay(events)
    for name in _FIELDS:
        expected = state.get(name, _UNSET)
        if expected is _UNSET:
            continue
        actual = getattr(row, name)
        if actual != expected:
            return f"{name} is {_text(actual)} but its events say {_text(expected)}"
    return None


def check(rows: Iterable[Any], events: Iterable[tuple[int, EventLike]]) -> Iterator[LedgerMismatch]:
    """Compare findings with their events; yield every mismatch, by finding id.

    Args:
        rows: findings ordered by ``id`` (objects with ``id`` and the fields of :data:`_FIELDS`).
        events: ``(finding_id, event)`` ordered by finding id, then event id.
    """
    grouped = _grouped(events)
    pending = next(grouped, None)
    for row in rows:
        while pending is not None and pending[0] < row.id:
            yield LedgerMismatch(pending[0], "it has events but no row in the findings table (the row was deleted)")
            pending = next(grouped, None)
        mine: list[EventLike] = []
        if pending is not None and pending[0] == row.id:
            mine = pending[1]
            pending = next(grouped, None)
        problem = compare(row, mine)
        if problem is not None:
            yield LedgerMismatch(row.id, problem)
    while pending is not None:
        yield LedgerMismatch(pending[0], "it has events but no row in the findings table (the row was deleted)")
        pending = next(grouped, None)


def _grouped(events: Iterable[tuple[int, EventLike]]) -> Iterator[tuple[int, list[EventLike]]]:
    current: int | None = None
    batch: list[EventLike] = []
    for finding_id, event in events:
        if finding_id != current:
            if current is not None:
                yield current, batch
            current, batch = finding_id, []
        batch.append(event)
    if current is not None:
        yield current, batch


def verify_ledger(session: Session, limit: int = 20) -> tuple[int, list[LedgerMismatch]]:
    """Compare every finding of the registry with its events; return (findings checked, the
    first ``limit`` mismatches by finding id). Streams both tables in id order (memory bounded
    by one finding's events)."""
    columns = [getattr(FindingRow, name) for name in ("id", *_FIELDS)]
    rows = session.execute(select(*columns).order_by(FindingRow.id).execution_options(yield_per=_CHUNK))
    events = session.execute(
        select(FindingEventRow.finding_id, FindingEventRow.event, FindingEventRow.at, FindingEventRow.actor,
               FindingEventRow.reason, FindingEventRow.details)
        .order_by(FindingEventRow.finding_id, FindingEventRow.id).execution_options(yield_per=_CHUNK))
    counted = _Counted(rows)
    found: list[LedgerMismatch] = []
    for mismatch in check(counted, ((e.finding_id, e) for e in events)):
        found.append(mismatch)
        if len(found) >= limit:
            break
    return counted.count, found


class _Counted:
    def __init__(self, rows: Iterable[Any]) -> None:
        self.rows, self.count = rows, 0

    def __iter__(self) -> Iterator[Any]:
        for row in self.rows:
            self.count += 1
            yield row
