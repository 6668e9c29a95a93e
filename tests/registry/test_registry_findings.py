"""Findings ledger: open, still open, resolve, reopen, escalate, re-alert; alerts via the outbox."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from lineage_engine.model import ExposurePath, Finding
from lineage_engine.registry import Registry
from lineage_engine.registry import findings as findings_module

T0 = datetime(2024, 3, 14, 9, 0, tzinfo=timezone.utc)
DAY = timedelta(hours=24)
ORIGIN = "prod_db.raw.customers"


def _path(terminal: str, severity: str, *, origin: str = ORIGIN, via: tuple[str, ...] = ()) -> ExposurePath:
    path = (terminal, *via, origin)
    return ExposurePath(origin=origin, terminal=terminal, path=path, hops=len(path) - 1,
                        regulatory_tags=("gdpr", "pii"), classification="restricted", severity=severity,
                        level="table", steward="privacy-team")  # fmt: skip


def _keys(findings: list[Finding]) -> list[str]:
    return [f.terminal for f in findings]


def _events(registry: Registry) -> list[tuple[str, str, str, str | None]]:
    return [
        (a.payload["event"], a.payload["terminal"], a.payload["severity"], a.payload["previous_severity"])
        for a in registry.pending_alerts()
    ]


def test_scan_lifecycle_and_outbox(registry: Registry) -> None:
    x, y, z = "prod_db.mart.x", "prod_db.mart.y", "prod_db.mart.z"

    # T0: two new paths open two findings and enqueue two alerts.
    first = registry.record_scan([_path(x, "HIGH", via=("prod_db.stg.c",)), _path(y, "MEDIUM")], T0)
    assert (_keys(first.opened), first.escalated, first.realerted, first.resolved, first.still_open) == (
        [x, y], [], [], [], []
    )
    fx = first.opened[0]
    assert fx == Finding(id=fx.id, origin=ORIGIN, terminal=x, severity="HIGH", status="open", opened_at=T0,
                         last_seen_at=T0, resolved_at=None, path=(x, "prod_db.stg.c", ORIGIN),
                         regulatory_tags=("gdpr", "pii"), level="table", steward="privacy-team")  # fmt: skip
    alerts = registry.pending_alerts()
    assert [(a.kind, a.dedupe_key, a.created_at, a.attempts, a.last_error) for a in alerts] == [
        ("unmasked_pii", f"unmasked_pii:{fx.id}:opened:{T0.isoformat()}", T0, 0, None),
        ("unmasked_pii", f"unmasked_pii:{first.opened[1].id}:opened:{T0.isoformat()}", T0, 0, None),
    ]
    assert alerts[0].payload == {
        "event": "opened",
        "finding_id": fx.id,
        "origin": ORIGIN,
        "terminal": x,
        "path": [x, "prod_db.stg.c", ORIGIN],
        "hops": 2,
        "regulatory_tags": ["gdpr", "pii"],
        "classification": "restricted",
        "severity": "HIGH",
        "previous_severity": None,
        "level": "table",
        "exposure": "full",
        "steward": "privacy-team",
        "status": "open",
        "opened_at": "2024-03-14T09:00:00+00:00",
        "last_seen_at": "2024-03-14T09:00:00+00:00",
        "edges": [],
        "opened_by": None,
    }
    for alert in alerts:
        registry.mark_alert_delivered(alert.id, T0)

    # T0+1h: y escalates MEDIUM -> HIGH, z is new; x is still open and not re-alerted yet.
    t1 = T0 + timedelta(hours=1)
    second = registry.record_scan([_path(x, "HIGH"), _path(y, "HIGH"), _path(z, "LOW")], t1, realert_after=DAY)
    assert (_keys(second.opened), _keys(second.escalated), second.realerted, second.resolved) == ([z], [y], [], [])
    assert _keys(second.still_open) == [x, y]
    assert second.still_open[0].path == (x, ORIGIN) and second.still_open[0].last_seen_at == t1
    assert second.still_open[0].opened_at == T0
    # same created_at: in (origin, terminal) order
    assert _events(registry) == [("escalated", y, "HIGH", "MEDIUM"), ("opened", z, "LOW", None)]
    for alert in registry.pending_alerts():
        registry.mark_alert_delivered(alert.id, t1)

    # T0+2h: z disappears (resolved); y drops back to MEDIUM (no alert).
    t2 = T0 + timedelta(hours=2)
    third = registry.record_scan([_path(x, "HIGH"), _path(y, "MEDIUM")], t2, realert_after=DAY)
    assert (third.opened, third.escalated, third.realerted, _keys(third.resolved)) == ([], [], [], [z])
    assert third.resolved[0].status == "resolved" and third.resolved[0].resolved_at == t2
    assert third.resolved[0].last_seen_at == t1
    assert registry.pending_alerts() == []

    # T0+3h: y back to HIGH: already alerted at HIGH, so no escalation alert.
    t3 = T0 + timedelta(hours=3)
    fourth = registry.record_scan([_path(x, "HIGH"), _path(y, "HIGH")], t3, realert_after=DAY)
    assert (fourth.opened, fourth.escalated, fourth.realerted, fourth.resolved) == ([], [], [], [])
    assert registry.pending_alerts() == []

    # T0+24.5h: z reopens with a new opened_at; x (last alerted T0) is re-alerted, y (T0+1h) not yet.
    t4 = T0 + DAY + timedelta(minutes=30)
    fifth = registry.record_scan([_path(x, "HIGH"), _path(y, "HIGH"), _path(z, "LOW")], t4, realert_after=DAY)
    assert (_keys(fifth.opened), fifth.escalated, _keys(fifth.realerted)) == ([z], [], [x])
    reopened = fifth.opened[0]
    assert (reopened.id, reopened.status, reopened.opened_at, reopened.resolved_at) == (
        first.opened[1].id + 1, "open", t4, None
    )
    assert _events(registry) == [("realert", x, "HIGH", None), ("opened", z, "LOW", None)]
    for alert in registry.pending_alerts():
        registry.mark_alert_delivered(alert.id, t4)

    # Exactly one period after y's last alert: due (>=). Without realert_after: never.
    assert registry.record_scan([_path(x, "HIGH"), _path(y, "HIGH"), _path(z, "LOW")], t1 + DAY).realerted == []
    t5 = t1 + DAY
    sixth = registry.record_scan([_path(x, "HIGH"), _path(y, "HIGH"), _path(z, "LOW")], t5, realert_after=DAY)
    assert _keys(sixth.realerted) == [y]
    assert _events(registry) == [("realert", y, "HIGH", None)]

    assert [(f.terminal, f.status) for f in registry.list_findings()] == [(x, "open"), (y, "open"), (z, "open")]
    assert registry.list_findings("resolved") == []


def test_one_finding_per_origin_and_terminal(registry: Registry) -> None:
    t = "prod_db.mart.t"
    outcome = registry.record_scan([_path(t, "LOW", via=("a.b.c",)), _path(t, "HIGH", via=("a.b.d", "a.b.e")),
                                    _path(t, "HIGH", via=("a.b.f",))], T0)  # fmt: skip
    assert len(outcome.opened) == 1
    assert outcome.opened[0].severity == "HIGH" and outcome.opened[0].path == (t, "a.b.f", ORIGIN)
    assert len(registry.pending_alerts()) == 1


def test_scan_is_one_transaction_with_its_alerts(registry: Registry, monkeypatch: pytest.MonkeyPatch) -> None:
    def crash(*_: object) -> bool:
        raise RuntimeError("crash between ledger and outbox")

    monkeypatch.setattr(findings_module, "insert_alerts", crash)
    with pytest.raises(RuntimeError):
        registry.record_scan([_path("prod_db.mart.x", "HIGH")], T0)
    assert registry.list_findings() == [] and registry.pending_alerts() == []
    monkeypatch.undo()
    assert len(registry.record_scan([_path("prod_db.mart.x", "HIGH")], T0).opened) == 1
    assert len(registry.pending_alerts()) == 1


def test_bad_input_writes_nothing(registry: Registry) -> None:
    with pytest.raises(ValueError, match="unknown severity 'SEVERE'"):
        registry.record_scan([_path("prod_db.mart.x", "HIGH"), _path("prod_db.mart.y", "SEVERE")], T0)
    with pytest.raises(ValueError, match="timezone-aware"):
        registry.record_scan([_path("prod_db.mart.x", "HIGH")], datetime(2024, 3, 14))
    with pytest.raises(ValueError, match="unknown finding status"):
        registry.list_findings("closed")
    assert registry.list_findings() == []


def test_empty_scan_resolves_everything(registry: Registry) -> None:
    registry.record_scan([_path("prod_db.mart.x", "CRITICAL"), _path("prod_db.mart.y", "low")], T0)
    assert [f.severity for f in registry.list_findings()] == ["CRITICAL", "LOW"]
    outcome = registry.record_scan([], T0 + timedelta(minutes=5))
    assert _keys(outcome.resolved) == ["prod_db.mart.x", "prod_db.mart.y"]
    assert registry.list_findings("open") == []
    assert len(registry.list_findings("resolved")) == 2


def test_escalation_without_alert_history_compares_with_stored_severity(
    registry: Registry, registry_url: str
) -> None:
    from sqlalchemy import create_engine, update

    from lineage_engine.registry.engine import parse_registry_url
    from lineage_engine.registry.tables import FindingRow

    t = "prod_db.mart.t"
    registry.record_scan([_path(t, "MEDIUM")], T0)
    engine = create_engine(parse_registry_url(registry_url))
    try:
        with engine.begin() as conn:  # a finding written before alerts were tracked
            conn.execute(update(FindingRow).values(last_alerted_at=None, last_alerted_severity=None))
    finally:
        engine.dispose()
    outcome = registry.record_scan([_path(t, "HIGH")], T0 + timedelta(minutes=1))
    assert _keys(outcome.escalated) == [t]
    assert _events(registry)[-1] == ("escalated", t, "HIGH", "MEDIUM")


def test_iter_findings_pages_through_the_same_findings(registry: Registry) -> None:
    """``iter_findings`` (the exports' read, a page at a time) yields what ``list_findings`` returns,
    in its order, for every status and for pages smaller than the ledger."""
    terminals = [f"prod_db.mart.t{i:02d}" for i in range(7)]
    registry.record_scan([_path(t, "HIGH") for t in terminals], T0)
    registry.record_scan([_path(t, "HIGH") for t in terminals[:4]], T0 + DAY)  # three resolved
    for status in (None, "open", "resolved", "accepted"):
        listed = registry.list_findings(status)
        assert list(registry.iter_findings(status, page=2)) == listed
    assert len(registry.list_findings("resolved")) == 3
    with pytest.raises(ValueError, match="unknown finding status"):
        list(registry.iter_findings("closed"))
