"""The findings ledger and its alerts (design §7), inside one caller-owned transaction.

One finding per (origin, terminal): opened when first seen, resolved when its path is
absent from a scan, reopened when it comes back. An ``unmasked_pii`` alert is written to
the outbox, in the same transaction as the ledger change, when a finding opens (or
reopens), when its severity rises above the severity last alerted, and when it has been
open without an alert for ``realert_after``. A crash therefore neither loses an alert
(the ledger change rolls back with it) nor repeats one (both commit together).

Triage (issue 10 §7): an *accepted* finding (``accept``) stays open and is kept up to date
but is not alerted, not even on escalation, until its ``accepted_until`` passes; the first
scan after that reopens it and alerts (``reopened``). ``reopen`` ends an acceptance by hand
and alerts. Every state change, and every alert queued, is also an event in the hash-chained
log (:mod:`lineage_engine.registry.events`), in the same transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from lineage_engine.errors import InputError
from lineage_engine.model import ExposurePath
from lineage_engine.registry.events import append_events
from lineage_engine.registry.records import ScanOutcome, finding_from_row
from lineage_engine.registry.tables import AlertOutboxRow, FindingEventRow, FindingRow

SEVERITY_ORDER: tuple[str, ...] = ("LOW", "MEDIUM", "HIGH", "CRITICAL")
"""Severities, least to most severe."""

ALERT_KIND = "unmasked_pii"
_SCAN_LOCK_KEY = 0x4C494E45  # PostgreSQL advisory lock: one scan at a time ("LINE")
_OUTCOME_FIELDS = ("opened", "escalated", "realerted", "resolved", "still_open", "windows", "reopened")
SCAN_ACTOR = "lineage-engine scan"
"""``actor`` of the events a scan writes."""


def severity_rank(severity: str) -> int:
    """Return the position of ``severity`` in :data:`SEVERITY_ORDER` (case-insensitive).

    Raises:
        ValueError: not a known severity.
    """
    try:
        return SEVERITY_ORDER.index(severity.upper())
    except ValueError:
        raise ValueError(
            f"unknown severity '{severity}'; use one of {', '.join(SEVERITY_ORDER)} "
            "(compliance.risk_thresholds)"
        ) from None


Key = tuple[str, str, str, str]
"""A finding's identity: (kind, rule, origin, terminal) (:attr:`ExposurePath.key`)."""


def _choose(paths: Sequence[ExposurePath]) -> dict[Key, ExposurePath]:
    """Keep one path per (kind, rule, origin, terminal): most severe, then fewest hops, then lowest path."""
    chosen: dict[Key, ExposurePath] = {}
    for path in paths:
        if path.closed:
            continue
        key = path.key
        best = chosen.get(key)
        rank = (-severity_rank(path.severity), path.hops, path.path)
        if best is None or rank < (-severity_rank(best.severity), best.hops, best.path):
            chosen[key] = path
    return chosen


def alert_payload(row: FindingRow, path: ExposurePath, event: str, previous: str | None) -> dict[str, Any]:
    """Return the JSON-able outbox payload for one finding event.

    ``event`` is ``opened`` | ``escalated`` | ``realert`` | ``reopened``; ``previous_severity``
    is the severity last alerted (escalations only). ``edges`` lists the path's hops
    origin first (each with its transform and statement) and ``opened_by`` the statement that
    put the data into the terminal (query id, type, user, role, time); see
    :mod:`lineage_engine.exposure.explain`. Times are ISO 8601 UTC strings. An egress or
    boundary finding (issue 14) adds ``finding_kind`` and ``rule`` (the boundary rule's name).
    """
    return {
        "event": event,
        "finding_id": row.id,
        "origin": row.origin,
        "terminal": row.terminal,
        "path": list(row.path),
        "hops": path.hops,
        "regulatory_tags": list(row.regulatory_tags),
        "classification": path.classification,
        "severity": row.severity,
        "previous_severity": previous,
        "level": row.level,
        "exposure": path.exposure,
        "steward": row.steward,
        "status": row.status,
        "opened_at": row.opened_at.isoformat(),
        "last_seen_at": row.last_seen_at.isoformat(),
        "edges": list((row.explanation or {}).get("hops") or []),
        "opened_by": (row.explanation or {}).get("opened_by"),
        **({"finding_kind": row.kind, "rule": row.rule or None} if (row.kind or "exposure") != "exposure" else {}),
    }


def insert_alert(session: Session, kind: str, dedupe_key: str, payload: dict[str, Any], at: datetime) -> bool:
    """Add an outbox alert unless ``dedupe_key`` exists; return True when added."""
    table = AlertOutboxRow.__table__
    values = {"kind": kind, "dedupe_key": dedupe_key, "payload": payload, "created_at": at, "attempts": 0}
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(table)
        .values(values)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(table.c.id)  # rowcount is -1 under psycopg's implicit RETURNING
    )
    return session.execute(statement).scalar_one_or_none() is not None


_ALERT_CHUNK = 5_000
"""Outbox alerts per statement in :func:`insert_alerts` (and dedupe keys per ``IN``)."""


def insert_alerts(session: Session, kind: str, alerts: Sequence[tuple[str, dict[str, Any]]], at: datetime) -> set[str]:
    """Add outbox alerts ``(dedupe_key, payload)`` whose key does not exist yet; return the keys added.

    The same as :func:`insert_alert` for each, in order (a key repeated in ``alerts`` is added
    once), in a few statements: the keys already there are read, the rest inserted many at a
    time. Inside the scan's transaction (the scan lock on PostgreSQL, SQLite's single writer),
    so no other writer adds a key in between.
    """
    table = AlertOutboxRow.__table__
    keys = [key for key, _ in alerts]
    present: set[str] = set()
    for start in range(0, len(keys), _ALERT_CHUNK):
        chunk = keys[start:start + _ALERT_CHUNK]
        present.update(session.scalars(select(table.c.dedupe_key).where(table.c.dedupe_key.in_(chunk))))
    added: set[str] = set()
    rows = []
    for key, payload in alerts:
        if key in present or key in added:
            continue
        added.add(key)
        rows.append({"kind": kind, "dedupe_key": key, "payload": payload, "created_at": at, "attempts": 0})
    for start in range(0, len(rows), _ALERT_CHUNK):
        session.execute(table.insert(), rows[start:start + _ALERT_CHUNK])
    return added


def _apply(row: FindingRow, path: ExposurePath, now: datetime, explanation: dict[str, Any] | None) -> None:
    values: dict[str, Any] = {
        "severity": path.severity.upper(), "last_seen_at": now, "path": list(path.path),
        "regulatory_tags": list(path.regulatory_tags), "level": path.level, "steward": path.steward,
        "exposure": path.exposure, "note": path.note or None, "unmasked_from": None, "unmasked_to": None,
    }
    if explanation is not None:
        values["explanation"] = explanation
    if row.id is None:  # new: every field set
        for name, value in values.items():
            setattr(row, name, value)
        return
    for name, value in values.items():  # a finding seen again: only what changed (most scans: last_seen_at)
        if getattr(row, name) != value:
            setattr(row, name, value)


def _record_windows(
    session: Session, paths: Sequence[ExposurePath], rows: dict[Key, FindingRow],
    chosen: dict[Key, ExposurePath], now: datetime, outcome: dict[str, list[FindingRow]],
    explain: Mapping[tuple[str, str], dict[str, Any]], events: list[tuple[FindingRow, dict[str, Any]]],
) -> None:
    """Record closed windows (issue 10 §2): the terminal was masked after the data reached it.

    A finding that is open is resolved now; one not yet in the ledger is added already
    resolved; a resolved one takes the window. Windows are not alerted: no exposure is live.
    Each change is an event (a new one ``opened`` then ``resolved``; the ``resolved`` event
    carries ``unmasked_from``/``unmasked_to``). Idempotent: the same window again changes nothing.
    """
    windows: dict[Key, ExposurePath] = {}
    for path in paths:
        key = path.key
        if not path.closed or key in chosen:
            continue
        best = windows.get(key)
        if best is None or (path.hops, path.path) < (best.hops, best.path):
            windows[key] = path
    for key in sorted(windows):
        path, row = windows[key], rows.get(key)
        if row is not None and row.status == "resolved" and (row.unmasked_from, row.unmasked_to) == (
                path.unmasked_from, path.unmasked_to):
            continue
        opened = row is None
        if row is None:
            row = FindingRow(kind=key[0], rule=key[1], origin=key[2], terminal=key[3], status="resolved",
                             opened_at=now, resolved_at=now)
            row.last_alerted_at = row.last_alerted_severity = None
            session.add(row)
            rows[key] = row
        elif row.status == "open":
            row.status, row.resolved_at = "resolved", now
            outcome["resolved"].append(row)
        _clear_acceptance(row)
        _apply(row, path, now, explain.get((path.origin, path.terminal)))
        row.unmasked_from, row.unmasked_to = path.unmasked_from, path.unmasked_to
        outcome["windows"].append(row)
        if opened:
            events.append(_event(row, "opened", now, SCAN_ACTOR, severity=row.severity, level=row.level,
                                 exposure=row.exposure, path=list(reversed(row.path)), again=False))
        events.append(_event(row, "resolved", now, SCAN_ACTOR, "masked after the data arrived",
                             severity=row.severity, unmasked_from=_iso(row.unmasked_from),
                             unmasked_to=_iso(row.unmasked_to)))


def _kind_details(row: FindingRow) -> dict[str, str]:
    """Return the kind (and boundary rule) an ``opened`` event records; none for an exposure finding."""
    if (row.kind or "exposure") == "exposure":
        return {}
    return {"kind": row.kind, **({"rule": row.rule} if row.rule else {})}


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None


def _clear_acceptance(row: FindingRow) -> None:
    row.accepted_at = row.accepted_until = row.accepted_by = row.accepted_reason = None


def _event(row: FindingRow, event: str, at: datetime, actor: str, reason: str | None = None,
           **details: Any) -> tuple[FindingRow, dict[str, Any]]:
    return row, {"event": event, "at": at, "actor": actor, "reason": reason, "details": details}


def _flush_events(session: Session, pending: list[tuple[FindingRow, dict[str, Any]]]) -> None:
    session.flush()  # new findings get their ids
    append_events(session, [{**event, "finding_id": row.id} for row, event in pending])


def record_scan(
    session: Session,
    paths: Sequence[ExposurePath],
    now: datetime,
    realert_after: timedelta | None,
    explanations: Mapping[tuple[str, str], dict[str, Any]] | None = None,
) -> ScanOutcome:
    """Fold one complete exposure scan into the ledger, the outbox and the event log.

    A re-alert is due when ``now - last_alerted_at >= realert_after``; None disables
    re-alerts. Several paths for one (origin, terminal) count once (see ``_choose``).
    ``explanations`` (by (origin, terminal)) are stored on the findings and sent in alerts.

    Raises:
        ValueError: ``now`` is naive, or a path has an unknown severity.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("record_scan needs a timezone-aware UTC 'now'")
    explain = explanations or {}
    chosen = _choose(paths)
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SCAN_LOCK_KEY})
    origins = sorted({*(key[2] for key in chosen), *(p.origin for p in paths if p.closed)})
    query = select(FindingRow).where(or_(FindingRow.status == "open", FindingRow.origin.in_(origins)))
    rows = {(r.kind or "exposure", r.rule or "", r.origin, r.terminal): r for r in session.scalars(query)}

    outcome: dict[str, list[FindingRow]] = {name: [] for name in _OUTCOME_FIELDS}
    alerts: list[tuple[FindingRow, ExposurePath, str, str | None]] = []
    events: list[tuple[FindingRow, dict[str, Any]]] = []
    for key in sorted(chosen):
        path, row = chosen[key], rows.get(key)
        if row is None or row.status == "resolved":
            again = row is not None
            if row is None:
                row = FindingRow(kind=key[0], rule=key[1], origin=key[2], terminal=key[3])
                session.add(row)
            row.status, row.opened_at, row.resolved_at = "open", now, None
            row.last_alerted_at = row.last_alerted_severity = None
            _clear_acceptance(row)
            _apply(row, path, now, explain.get((path.origin, path.terminal)))
            outcome["opened"].append(row)
            events.append(_event(row, "opened", now, SCAN_ACTOR, severity=row.severity, level=row.level,
                                 exposure=row.exposure, path=list(reversed(row.path)), again=again,
                                 **_kind_details(row)))
            alerts.append((row, path, "opened", None))
            continue
        alerted = row.last_alerted_severity or row.severity  # before the update below
        before = row.severity
        _apply(row, path, now, explain.get((path.origin, path.terminal)))
        outcome["still_open"].append(row)
        rose = severity_rank(row.severity) > severity_rank(before)
        if row.accepted_at is not None:
            if row.accepted_until is not None and now >= row.accepted_until:
                events.append(_event(row, "reopened", now, SCAN_ACTOR,
                                     f"acceptance expired ({row.accepted_until.isoformat()})",
                                     severity=row.severity))
                _clear_acceptance(row)
                outcome["reopened"].append(row)
                alerts.append((row, path, "reopened", None))
            elif rose:  # recorded, not alerted while accepted
                events.append(_event(row, "escalated", now, SCAN_ACTOR, severity=row.severity, previous=before,
                                     alerted=False))
            continue
        if rose:
            events.append(_event(row, "escalated", now, SCAN_ACTOR, severity=row.severity, previous=before))
        if severity_rank(row.severity) > severity_rank(alerted):
            outcome["escalated"].append(row)
            alerts.append((row, path, "escalated", alerted))
        elif realert_after is not None and (
            row.last_alerted_at is None or now - row.last_alerted_at >= realert_after
        ):
            outcome["realerted"].append(row)
            alerts.append((row, path, "realert", None))
    _record_windows(session, paths, rows, chosen, now, outcome, explain, events)
    for key in sorted(rows):
        row = rows[key]
        if row.status == "open" and key not in chosen:
            row.status, row.resolved_at = "resolved", now
            _clear_acceptance(row)
            outcome["resolved"].append(row)
            events.append(_event(row, "resolved", now, SCAN_ACTOR, severity=row.severity))

    session.flush()  # assigns ids to new findings
    queued = [(row, event, f"{ALERT_KIND}:{row.id}:{event}:{now.isoformat()}", path, previous)
              for row, path, event, previous in alerts]
    added = insert_alerts(session, ALERT_KIND, [(dedupe, alert_payload(row, path, event, previous))
                                                for row, event, dedupe, path, previous in queued], now)
    for row, event, dedupe, _path, _previous in queued:
        if dedupe in added:
            events.append(_event(row, "alerted", now, SCAN_ACTOR, alert=event, dedupe_key=dedupe,
                                 severity=row.severity))
        row.last_alerted_at, row.last_alerted_severity = now, row.severity
    _flush_events(session, events)
    return ScanOutcome(**{name: [finding_from_row(r) for r in rows_] for name, rows_ in outcome.items()})


def _finding(session: Session, finding_id: int) -> FindingRow:
    row = session.get(FindingRow, finding_id)
    if row is None:
        ids = list(session.scalars(select(FindingRow.id).order_by(FindingRow.id)))
        near = sorted(ids, key=lambda i: (abs(i - finding_id), i))[:3]
        hint = f" (closest ids: {', '.join(str(i) for i in sorted(near))})" if near else " (the ledger is empty)"
        raise InputError(f"finding {finding_id}",
                         f"no such finding{hint}; 'lineage-engine findings' lists them")
    return row


def accept(session: Session, finding_id: int, *, reason: str, until: datetime | None, actor: str,
           now: datetime) -> FindingRow:
    """Accept an open finding: no alerts for it until ``until`` passes (None: until reopened).

    Accepting an accepted finding again replaces its reason and date (a new event).

    Raises:
        InputError: no such finding, it is resolved, the reason is empty, or ``until`` is not
            after ``now``.
    """
    if not reason.strip():
        raise InputError("--reason", "say why the exposure is accepted (it is stored in the event log)")
    if until is not None and until <= now:
        raise InputError("--until", f"{until.isoformat()} is not in the future")
    row = _finding(session, finding_id)
    if row.status != "open":
        raise InputError(f"finding {finding_id}", "is resolved; only open findings can be accepted")
    row.accepted_at, row.accepted_until, row.accepted_by, row.accepted_reason = now, until, actor, reason.strip()
    _flush_events(session, [_event(row, "accepted", now, actor, reason.strip(),
                                   until=until.isoformat() if until else None, severity=row.severity)])
    return row


def reopen(session: Session, finding_id: int, *, actor: str, now: datetime, reason: str | None = None) -> FindingRow:
    """End the acceptance of a finding by hand; queue its ``reopened`` alert (delivered by the next scan).

    Raises:
        InputError: no such finding, or it is not accepted.
    """
    row = _finding(session, finding_id)
    if row.status != "open" or row.accepted_at is None:
        raise InputError(f"finding {finding_id}", f"is {row.status}, not accepted; only accepted findings "
                         "can be reopened (a resolved one reopens by itself when its path comes back)")
    _clear_acceptance(row)
    events = [_event(row, "reopened", now, actor, reason, severity=row.severity)]
    path = ExposurePath(origin=row.origin, terminal=row.terminal, path=tuple(row.path), hops=len(row.path) - 1,
                        regulatory_tags=tuple(row.regulatory_tags), classification="", severity=row.severity,
                        level=row.level, steward=row.steward, exposure=row.exposure, kind=row.kind or "exposure",
                        rule=row.rule or "")
    dedupe = f"{ALERT_KIND}:{row.id}:reopened:{now.isoformat()}"
    if insert_alert(session, ALERT_KIND, dedupe, alert_payload(row, path, "reopened", None), now):
        events.append(_event(row, "alerted", now, actor, alert="reopened", dedupe_key=dedupe, severity=row.severity))
    row.last_alerted_at, row.last_alerted_severity = now, row.severity
    _flush_events(session, events)
    return row


def list_events(session: Session, finding_id: int) -> list[FindingEventRow]:
    """Return the events of one finding, oldest first.

    Raises:
        InputError: no such finding.
    """
    _finding(session, finding_id)
    return list(session.scalars(select(FindingEventRow).where(FindingEventRow.finding_id == finding_id)
                                .order_by(FindingEventRow.id)))
