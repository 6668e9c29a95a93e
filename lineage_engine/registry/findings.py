"""The findings ledger and its alerts (design §7), inside one caller-owned transaction.

One finding per (origin, terminal): opened when first seen, resolved when its path is
absent from a scan, reopened when it comes back. An ``unmasked_pii`` alert is written to
the outbox, in the same transaction as the ledger change, when a finding opens (or
reopens), when its severity rises above the severity last alerted, and when it has been
open without an alert for ``realert_after``. A crash therefore neither loses an alert
(the ledger change rolls back with it) nor repeats one (both commit together).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from lineage_engine.model import ExposurePath
from lineage_engine.registry.records import ScanOutcome, finding_from_row
from lineage_engine.registry.tables import AlertOutboxRow, FindingRow

SEVERITY_ORDER: tuple[str, ...] = ("LOW", "MEDIUM", "HIGH", "CRITICAL")
"""Severities, least to most severe."""

ALERT_KIND = "unmasked_pii"
_SCAN_LOCK_KEY = 0x4C494E45  # PostgreSQL advisory lock: one scan at a time ("LINE")
_OUTCOME_FIELDS = ("opened", "escalated", "realerted", "resolved", "still_open", "windows")


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


def _choose(paths: Sequence[ExposurePath]) -> dict[tuple[str, str], ExposurePath]:
    """Keep one path per (origin, terminal): most severe, then fewest hops, then lowest path."""
    chosen: dict[tuple[str, str], ExposurePath] = {}
    for path in paths:
        if path.closed:
            continue
        key = (path.origin, path.terminal)
        best = chosen.get(key)
        rank = (-severity_rank(path.severity), path.hops, path.path)
        if best is None or rank < (-severity_rank(best.severity), best.hops, best.path):
            chosen[key] = path
    return chosen


def alert_payload(row: FindingRow, path: ExposurePath, event: str, previous: str | None) -> dict[str, Any]:
    """Return the JSON-able outbox payload for one finding event.

    ``event`` is ``opened`` | ``escalated`` | ``realert``; ``previous_severity`` is the
    severity last alerted (escalations only). Times are ISO 8601 UTC strings.
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


def _apply(row: FindingRow, path: ExposurePath, now: datetime) -> None:
    row.severity = path.severity.upper()
    row.last_seen_at = now
    row.path = list(path.path)
    row.regulatory_tags = list(path.regulatory_tags)
    row.level = path.level
    row.steward = path.steward
    row.note = path.note or None
    row.unmasked_from = row.unmasked_to = None


def _record_windows(
    session: Session, paths: Sequence[ExposurePath], rows: dict[tuple[str, str], FindingRow],
    chosen: dict[tuple[str, str], ExposurePath], now: datetime, outcome: dict[str, list[FindingRow]],
) -> None:
    """Record closed windows (issue 10 §2): the terminal was masked after the data reached it.

    A finding that is open is resolved now; one not yet in the ledger is added already
    resolved; a resolved one takes the window. Windows are not alerted: no exposure is live.
    Idempotent: the same window again changes nothing.
    """
    windows: dict[tuple[str, str], ExposurePath] = {}
    for path in paths:
        key = (path.origin, path.terminal)
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
        if row is None:
            row = FindingRow(origin=key[0], terminal=key[1], status="resolved", opened_at=now, resolved_at=now)
            row.last_alerted_at = row.last_alerted_severity = None
            session.add(row)
            rows[key] = row
        elif row.status == "open":
            row.status, row.resolved_at = "resolved", now
            outcome["resolved"].append(row)
        _apply(row, path, now)
        row.unmasked_from, row.unmasked_to = path.unmasked_from, path.unmasked_to
        outcome["windows"].append(row)


def record_scan(
    session: Session,
    paths: Sequence[ExposurePath],
    now: datetime,
    realert_after: timedelta | None,
) -> ScanOutcome:
    """Fold one complete exposure scan into the ledger and the outbox (see module docstring).

    A re-alert is due when ``now - last_alerted_at >= realert_after``; None disables
    re-alerts. Several paths for one (origin, terminal) count once (see ``_choose``).

    Raises:
        ValueError: ``now`` is naive, or a path has an unknown severity.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("record_scan needs a timezone-aware UTC 'now'")
    chosen = _choose(paths)
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SCAN_LOCK_KEY})
    origins = sorted({origin for origin, _ in chosen})
    origins = sorted({*origins, *(p.origin for p in paths if p.closed)})
    query = select(FindingRow).where(or_(FindingRow.status == "open", FindingRow.origin.in_(origins)))
    rows = {(r.origin, r.terminal): r for r in session.scalars(query)}

    outcome: dict[str, list[FindingRow]] = {name: [] for name in _OUTCOME_FIELDS}
    alerts: list[tuple[FindingRow, ExposurePath, str, str | None]] = []
    for key in sorted(chosen):
        path, row = chosen[key], rows.get(key)
        if row is None or row.status == "resolved":
            if row is None:
                row = FindingRow(origin=key[0], terminal=key[1])
                session.add(row)
            row.status, row.opened_at, row.resolved_at = "open", now, None
            row.last_alerted_at = row.last_alerted_severity = None
            _apply(row, path, now)
            outcome["opened"].append(row)
            alerts.append((row, path, "opened", None))
            continue
        alerted = row.last_alerted_severity or row.severity  # before the update below
        _apply(row, path, now)
        outcome["still_open"].append(row)
        if severity_rank(row.severity) > severity_rank(alerted):
            outcome["escalated"].append(row)
            alerts.append((row, path, "escalated", alerted))
        elif realert_after is not None and (
            row.last_alerted_at is None or now - row.last_alerted_at >= realert_after
        ):
            outcome["realerted"].append(row)
            alerts.append((row, path, "realert", None))
    _record_windows(session, paths, rows, chosen, now, outcome)
    for key in sorted(rows):
        row = rows[key]
        if row.status == "open" and key not in chosen:
            row.status, row.resolved_at = "resolved", now
            outcome["resolved"].append(row)

    session.flush()  # assigns ids to new findings
    for row, path, event, previous in alerts:
        payload = alert_payload(row, path, event, previous)
        insert_alert(session, ALERT_KIND, f"{ALERT_KIND}:{row.id}:{event}:{now.isoformat()}", payload, now)
        row.last_alerted_at, row.last_alerted_severity = now, row.severity
    session.flush()
    return ScanOutcome(**{name: [finding_from_row(r) for r in rows_] for name, rows_ in outcome.items()})
