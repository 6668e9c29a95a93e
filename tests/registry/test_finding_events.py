"""Findings triage and the hash-chained event log (issue 10 §7), on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
from alembic import command
from sqlalchemy import create_engine, text

from lineage_engine.errors import InputError
from lineage_engine.model import ExposurePath
from lineage_engine.registry import Registry
from lineage_engine.registry.engine import create_registry_engine, parse_registry_url
from lineage_engine.registry.events import GENESIS_HASH, event_hash
from lineage_engine.registry.migrate import alembic_config

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
DAY = timedelta(days=1)
ORIGIN = "db.s.customers.email"


def _path(terminal: str, severity: str = "HIGH") -> ExposurePath:
    return ExposurePath(origin=ORIGIN, terminal=terminal, path=(terminal, ORIGIN), hops=1, regulatory_tags=("pii",),
                        classification="restricted", severity=severity, level="column", steward="dpo")


def _log(registry: Registry, finding_id: int) -> list[tuple[str, str, str | None]]:
    return [(e.event, e.actor, e.reason) for e in registry.finding_events(finding_id)]


def test_accepted_findings_are_not_alerted_until_their_date_passes(registry: Registry) -> None:
    opened = registry.record_scan([_path("db.s.kept.email")], T0).opened[0]
    assert len(registry.pending_alerts()) == 1
    accepted = registry.accept_finding(opened.id, reason="legal hold until the audit", until=T0 + 3 * DAY,
                                       actor="alice", now=T0 + timedelta(hours=1))
    assert (accepted.status, accepted.accepted_by, accepted.accepted_until) == ("accepted", "alice", T0 + 3 * DAY)
    assert [f.id for f in registry.list_findings("accepted")] == [opened.id]

    # Before the date: kept up to date, not alerted, not even when the severity rises.
    quiet = registry.record_scan([_path("db.s.kept.email", "CRITICAL")], T0 + DAY, realert_after=timedelta(hours=1))
    assert (quiet.escalated, quiet.realerted, quiet.reopened) == ([], [], [])
    assert len(registry.pending_alerts()) == 1
    # After it: reopened and alerted once.
    later = registry.record_scan([_path("db.s.kept.email", "CRITICAL")], T0 + 4 * DAY)
    assert [f.id for f in later.reopened] == [opened.id] and later.reopened[0].status == "open"
    alerts = registry.pending_alerts()
    assert [a.payload["event"] for a in alerts] == ["opened", "reopened"]
    registry.record_scan([_path("db.s.kept.email", "CRITICAL")], T0 + 5 * DAY)
    assert len(registry.pending_alerts()) == 2  # exactly once

    assert _log(registry, opened.id) == [
        ("opened", "lineage-engine scan", None),
        ("alerted", "lineage-engine scan", None),
        ("accepted", "alice", "legal hold until the audit"),
        ("escalated", "lineage-engine scan", None),
        ("reopened", "lineage-engine scan", f"acceptance expired ({(T0 + 3 * DAY).isoformat()})"),
        ("alerted", "lineage-engine scan", None),
    ]
    check = registry.verify_events()
    assert check.ok and check.checked == 6


def test_reopen_by_hand_alerts_and_bad_triage_is_refused(registry: Registry) -> None:
    first = registry.record_scan([_path("db.s.a.email"), _path("db.s.b.email")], T0).opened
    a, b = first[0].id, first[1].id
    with pytest.raises(InputError, match="not accepted"):
        registry.reopen_finding(a, actor="bob", now=T0 + DAY)
    with pytest.raises(InputError, match="not in the future"):
        registry.accept_finding(a, reason="r", until=T0, actor="bob", now=T0 + DAY)
    with pytest.raises(InputError, match="say why"):
        registry.accept_finding(a, reason="  ", until=None, actor="bob", now=T0 + DAY)
    with pytest.raises(InputError, match=r"no such finding \(closest ids"):
        registry.accept_finding(b + 100, reason="r", until=None, actor="bob", now=T0 + DAY)
    registry.accept_finding(a, reason="test data", until=None, actor="bob", now=T0 + DAY)
    registry.record_scan([_path("db.s.a.email")], T0 + 30 * DAY)  # never expires; b resolves
    assert registry.get_finding(a).status == "accepted" and registry.get_finding(b).status == "resolved"
    with pytest.raises(InputError, match="is resolved"):
        registry.accept_finding(b, reason="r", until=None, actor="bob", now=T0 + 31 * DAY)
    reopened = registry.reopen_finding(a, actor="carol", reason="not test data after all", now=T0 + 31 * DAY)
    assert reopened.status == "open" and reopened.accepted_by is None
    assert [al.payload["event"] for al in registry.pending_alerts()][-1] == "reopened"
    assert [e for e, _, _ in _log(registry, a)] == ["opened", "alerted", "accepted", "reopened", "alerted"]
    assert [e for e, _, _ in _log(registry, b)] == ["opened", "alerted", "resolved"]
    assert registry.verify_events().ok


def test_verify_names_the_first_event_that_does_not_match(registry: Registry, registry_url: str) -> None:
    opened = registry.record_scan([_path("db.s.a.email"), _path("db.s.b.email")], T0).opened
    registry.accept_finding(opened[0].id, reason="accepted risk", until=None, actor="alice", now=T0 + DAY)
    events = registry.finding_events(opened[0].id)
    accepted = next(e for e in events if e.event == "accepted")
    engine = create_engine(parse_registry_url(registry_url))
    try:
        with engine.begin() as conn:  # someone rewrites history
            conn.execute(text("UPDATE finding_events SET reason = 'nothing to see' WHERE id = :id"), {"id": accepted.id})
        check = registry.verify_events()
        assert (check.ok, check.bad_id, check.finding_id) == (False, accepted.id, opened[0].id)
        assert "edited" in check.problem
        with engine.begin() as conn:  # put it back, then delete an earlier event
            conn.execute(text("UPDATE finding_events SET reason = 'accepted risk' WHERE id = :id"), {"id": accepted.id})
        assert registry.verify_events().ok
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM finding_events WHERE id = :id"), {"id": events[1].id})
        check = registry.verify_events()
        assert check.bad_id == events[1].id + 1 and "prev_hash" in check.problem
    finally:
        engine.dispose()


def test_the_hash_is_the_documented_one(registry: Registry) -> None:
    registry.record_scan([_path("db.s.a.email")], T0)
    first = registry.finding_events(1)[0]
    assert first.hash == event_hash({"finding_id": first.finding_id, "event": first.event, "at": first.at,
                                     "actor": first.actor, "reason": first.reason, "details": first.details},
                                    GENESIS_HASH)


def test_migration_gives_existing_findings_a_genesis_event(registry_url: str) -> None:
    config = alembic_config()
    engine = create_registry_engine(parse_registry_url(registry_url))  # makes SQLite's folder
    try:
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, "0005")
        with engine.begin() as conn:
            for terminal in ("db.s.a.email", "db.s.b.email"):
                conn.execute(text(
                    "INSERT INTO findings (origin, terminal, severity, status, opened_at, last_seen_at, path, "
                    "regulatory_tags, level) VALUES (:o, :t, 'HIGH', 'open', :at, :at, '[]', '[]', 'column')"),
                    {"o": ORIGIN, "t": terminal, "at": T0.replace(tzinfo=None)})
    finally:
        engine.dispose()
    with Registry(registry_url) as registry:
        registry.migrate()
        found = registry.list_findings()
        assert [[(e.event, e.actor, e.details["status"]) for e in registry.finding_events(f.id)] for f in found] == [
            [("genesis", "migration 0006", "open")], [("genesis", "migration 0006", "open")]]
        assert registry.verify_events().checked == 2 and registry.verify_events().ok
        registry.record_scan([_path("db.s.a.email")], T0 + DAY)  # b resolves: the chain goes on
        assert registry.verify_events().ok and registry.verify_events().checked == 3


def test_a_resolved_window_gets_its_events(registry: Registry) -> None:
    """A terminal masked after the data arrived (issue 10 §2) is in the event log too."""
    from dataclasses import replace

    opened = registry.record_scan([_path("db.s.open.email")], T0).opened[0]
    window = {"unmasked_from": T0 - DAY, "unmasked_to": T0 + DAY}
    later = registry.record_scan([replace(_path("db.s.open.email"), **window),
                                  replace(_path("db.s.late.email"), **window)], T0 + 2 * DAY)
    assert sorted(f.terminal for f in later.windows) == ["db.s.late.email", "db.s.open.email"]
    late = next(f for f in later.windows if f.terminal == "db.s.late.email")
    assert [e.event for e in registry.finding_events(opened.id)] == ["opened", "alerted", "resolved"]
    assert [e.event for e in registry.finding_events(late.id)] == ["opened", "resolved"]
    resolved = registry.finding_events(late.id)[-1]
    assert (resolved.details["unmasked_from"], resolved.details["unmasked_to"]) == (
        (T0 - DAY).isoformat(), (T0 + DAY).isoformat())
    again = registry.record_scan([replace(_path("db.s.late.email"), **window)], T0 + 3 * DAY)
    assert again.windows == [] and len(registry.finding_events(late.id)) == 2  # idempotent
    assert registry.verify_events().ok


def test_chain_head_names_the_last_event(registry: Registry) -> None:
    """``findings_chain_head`` is what an evidence pack pins (issue 15 §2)."""
    empty = registry.findings_chain_head()
    assert (empty.event_id, empty.hash, empty.events) == (None, GENESIS_HASH, 0)
    registry.record_scan([_path("db.s.a.email")], T0)
    head = registry.findings_chain_head()
    last = registry.finding_events(1)[-1]
    assert (head.event_id, head.hash, head.events) == (last.id, last.hash, 2)
    check = registry.verify_events((head.event_id, head.hash))
    assert check.ok and (check.last_id, check.last_hash) == (head.event_id, head.hash)
    assert not registry.verify_events((head.event_id, "0" * 64)).ok
    assert not registry.verify_events((head.event_id + 1, head.hash)).ok


def _explained(terminal: str, query_id: str) -> dict[str, object]:
    hop = {"downstream": terminal, "upstream": ORIGIN, "query_id": query_id, "transform": "identity"}
    return {"level": "column", "hops": [hop], "opened_by": {"query_id": query_id, "user": "ETL"}}


def _ledger(registry: Registry) -> list[tuple[object, ...]]:
    return [(f.id, f.status, f.severity, f.path, f.note, f.explanation, f.last_seen_at, f.opened_at)
            for f in registry.list_findings()]


def _digests(registry_url: str) -> list[tuple[int, object]]:
    engine = create_engine(parse_registry_url(registry_url))
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text("SELECT id, digest FROM findings ORDER BY id"))]
    finally:
        engine.dispose()


def test_a_steady_scan_moves_last_seen_only_and_notices_every_change(registry: Registry, registry_url: str) -> None:
    """Unchanged findings (same digest) only move last_seen_at, without events; a changed explanation,
    note or severity is written and evented as field by field; the outcome's findings are the ledger's."""
    a, b = "db.s.a.email", "db.s.b.email"
    explain = {(ORIGIN, a): _explained(a, "q1"), (ORIGIN, b): _explained(b, "q2")}
    registry.record_scan([_path(a), _path(b)], T0, explanations=explain)
    events = registry.verify_events().checked
    assert all(d is not None for _, d in _digests(registry_url))
    steady = registry.record_scan([_path(a), _path(b)], T0 + DAY, explanations=explain)
    assert (steady.opened, steady.escalated, steady.resolved) == ([], [], [])
    assert list(steady.still_open) == [f for f in registry.list_findings()]  # built when read: the stored rows
    assert [f.last_seen_at for f in registry.list_findings()] == [T0 + DAY] * 2
    assert registry.verify_events().checked == events and registry.pending_alerts() != []
    # a hop's statement changed (the explanation only): stored; the other finding untouched
    changed = {**explain, (ORIGIN, a): _explained(a, "q9")}
    registry.record_scan([_path(a), _path(b)], T0 + 2 * DAY, explanations=changed)
    assert [f.explanation["opened_by"]["query_id"] for f in registry.list_findings()] == ["q9", "q2"]
    # a note (who can read) and a severity rise: stored, escalation evented and alerted
    rose = registry.record_scan([_path(a, "CRITICAL"), replace(_path(b), note="readable by X")], T0 + 3 * DAY,
                                explanations=changed)
    assert [f.terminal for f in rose.escalated] == [a]
    assert [(f.severity, f.note) for f in registry.list_findings()] == [("CRITICAL", None), ("HIGH", "readable by X")]
    assert registry.verify_events().ok


def test_findings_of_0010_get_their_digest_on_the_first_scan(registry_url: str) -> None:
    """Upgrade 0010 -> 0011: existing findings keep ids, events and chain; the first scan compares them
    field by field (digest NULL), stores their digest, and answers as without the digest."""
    a, b = "db.s.a.email", "db.s.b.email"
    explain = {(ORIGIN, a): _explained(a, "q1"), (ORIGIN, b): _explained(b, "q2")}
    with Registry(registry_url) as registry:
        registry.migrate()
        registry.record_scan([_path(a), _path(b)], T0, explanations=explain)
    engine = create_registry_engine(parse_registry_url(registry_url))
    try:
        with engine.begin() as conn:  # back to 0010: as written by the previous release
            config = alembic_config()
            config.attributes["connection"] = conn
            command.downgrade(config, "0010")
            before = [tuple(r) for r in conn.execute(text("SELECT * FROM findings ORDER BY id"))]
    finally:
        engine.dispose()
    with Registry(registry_url) as registry:
        registry.migrate()
        assert _digests(registry_url) == [(1, None), (2, None)]
        ledger = _ledger(registry)
        assert [row[:1] for row in before] == [(1,), (2,)] and [f[0] for f in ledger] == [1, 2]
        again = registry.record_scan([_path(a), _path(b, "CRITICAL")], T0 + DAY, explanations=explain)
        assert [f.terminal for f in again.escalated] == [b] and len(again.still_open) == 2
        assert all(d is not None for _, d in _digests(registry_url))
        assert [f[0] for f in _ledger(registry)] == [1, 2]
        assert registry.verify_events().ok
        steady = registry.record_scan([_path(a), _path(b, "CRITICAL")], T0 + 2 * DAY, explanations=explain)
        assert steady.escalated == [] and list(steady.still_open) == registry.list_findings()
