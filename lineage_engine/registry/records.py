"""Plain results of registry operations, and conversions from table rows to domain values."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select, type_coerce
from sqlalchemy.sql.elements import ColumnElement

from lineage_engine.model import Asset, Finding, QuarantineEntry
from lineage_engine.registry.tables import (
    AlertOutboxRow,
    AssetRow,
    FindingEventRow,
    FindingRow,
    FindingScanRow,
    QuarantineRow,
    UTCDateTime,
)


@dataclass(frozen=True, slots=True)
class UpsertReport:
    """How many assets an upsert created, changed, and found already as given."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass(frozen=True, slots=True)
class ScanOutcome:
    """What one exposure scan changed in the findings ledger; each list by (origin, terminal).

    Attributes:
        opened: findings opened for the first time or reopened after being resolved.
        escalated: open findings whose severity rose above the last alerted severity.
        realerted: open findings alerted again because the re-alert period had passed.
        resolved: findings whose path disappeared in this scan.
        still_open: every finding open before and after the scan (includes ``escalated``
            and ``realerted``).
        windows: findings recorded resolved with an unmasked window ("unmasked from T1 to
            T2": the terminal was masked after the data reached it), new or changed in this
            scan; not alerted (no exposure is live).
        reopened: accepted findings whose acceptance expired in this scan: open again and
            alerted (also in ``still_open``).
    """

    opened: list[Finding] = field(default_factory=list)
    escalated: list[Finding] = field(default_factory=list)
    realerted: list[Finding] = field(default_factory=list)
    resolved: list[Finding] = field(default_factory=list)
    still_open: list[Finding] = field(default_factory=list)
    windows: list[Finding] = field(default_factory=list)
    reopened: list[Finding] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class OutboxAlert:
    """An alert waiting in the outbox. Datetimes are aware UTC; ``payload`` is JSON-able.

    ``last_attempt_at`` is the time of the last delivery attempt (None before the first),
    for back-off decisions by the sender.
    """

    id: int
    kind: str
    dedupe_key: str
    payload: dict[str, Any]
    created_at: datetime
    attempts: int
    last_error: str | None
    last_attempt_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class FindingEvent:
    """One event of a finding's log (see :mod:`lineage_engine.registry.events`).

    Attributes:
        id: position in the installation's chain.
        event: ``genesis`` | ``opened`` | ``escalated`` | ``resolved`` | ``accepted`` |
            ``reopened`` | ``alerted``.
        at: when, aware UTC. actor: who (OS user, ``--by``, or ``lineage-engine scan``).
        reason: why (acceptance reason, expiry), None when not given.
        details: what changed (severity, acceptance date, alert key …), JSON-able.
        hash: SHA-256 of the event, chained to the one before.
    """

    id: int
    finding_id: int
    event: str
    at: datetime
    actor: str
    reason: str | None
    details: dict[str, Any]
    hash: str


def event_from_row(row: FindingEventRow) -> FindingEvent:
    """Return the domain value of a ``finding_events`` row."""
    return FindingEvent(id=row.id, finding_id=row.finding_id, event=row.event, at=row.at, actor=row.actor,
                        reason=row.reason, details=dict(row.details), hash=row.hash)


def asset_from_row(row: AssetRow) -> Asset:
    """Return the domain value of an ``assets`` row."""
    return Asset(
        catalog_path=row.catalog_path,
        asset_type=row.asset_type,
        classification=row.classification,
        regulatory_tags=tuple(row.regulatory_tags),
        steward=row.steward,
        masking_policy=row.masking_policy,
        reviewed_at=row.reviewed_at,
    )


def latest_scan_at() -> Any:
    """The SQL scalar: ``scanned_at`` of the latest recorded scan (highest id; NULL before the first)."""
    return (select(FindingScanRow.scanned_at).order_by(FindingScanRow.id.desc()).limit(1)
            .scalar_subquery())


def last_seen_column() -> ColumnElement[Any]:
    """The SQL value of a finding's ``last_seen_at`` as every reader gives it (aware UTC).

    An open finding was seen by the latest scan (a scan resolves every open finding it does
    not see), so its last sighting is that scan's ``scanned_at`` (``finding_scans``, migration
    0017); a steady scan does not rewrite the rows it finds unchanged. A resolved finding keeps
    its stored ``last_seen_at`` (the scan that resolves one stores the sighting before, see
    :func:`lineage_engine.registry.findings.record_scan`); before the first recorded scan the
    stored value is exact for every finding. Select it beside the row in one statement (one
    snapshot) and give it to :func:`finding_from_row`.
    """
    column = FindingRow.__table__.c.last_seen_at
    latest = func.coalesce(latest_scan_at(), column)
    return type_coerce(case((FindingRow.__table__.c.status == "open", latest), else_=column), UTCDateTime())


def finding_from_row(row: FindingRow, last_seen_at: datetime | None = None) -> Finding:
    """Return the domain value of a ``findings`` row (an open row with an acceptance is ``accepted``).

    ``last_seen_at``: the finding's last sighting read beside the row (:func:`last_seen_column`);
    None: the row's own (a row a scan has just written, or one whose value was stored).
    """
    return Finding(
        id=row.id,
        origin=row.origin,
        terminal=row.terminal,
        severity=row.severity,
        status="accepted" if row.status == "open" and row.accepted_at is not None else row.status,
        opened_at=row.opened_at,
        last_seen_at=row.last_seen_at if last_seen_at is None else last_seen_at,
        resolved_at=row.resolved_at,
        path=tuple(row.path),
        regulatory_tags=tuple(row.regulatory_tags),
        level=row.level,
        steward=row.steward,
        unmasked_from=row.unmasked_from,
        unmasked_to=row.unmasked_to,
        note=row.note,
        exposure=row.exposure or "full",
        explanation=dict(row.explanation) if row.explanation else None,
        accepted_until=row.accepted_until,
        accepted_by=row.accepted_by,
        accepted_reason=row.accepted_reason,
        kind=row.kind or "exposure",
        rule=row.rule or "",
    )


def quarantine_from_row(row: QuarantineRow) -> QuarantineEntry:
    """Return the domain value of a ``quarantine`` row; ``seen_at`` is the last sighting."""
    return QuarantineEntry(
        source=row.source,
        query_id=row.query_id,
        position=row.position,
        reason_code=row.reason_code,
        reason=row.reason,
        fingerprint=row.fingerprint,
        redacted_text=row.redacted_text,
        seen_at=row.last_seen_at,
    )


def alert_from_row(row: AlertOutboxRow) -> OutboxAlert:
    """Return the domain value of an ``alert_outbox`` row."""
    return OutboxAlert(
        id=row.id,
        kind=row.kind,
        dedupe_key=row.dedupe_key,
        payload=dict(row.payload),
        created_at=row.created_at,
        attempts=row.attempts,
        last_error=row.last_error,
        last_attempt_at=row.last_attempt_at,
    )
