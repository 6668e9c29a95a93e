"""A scan writes its findings and events many rows per statement, storing what typed inserts store
(issue 13 §6), on SQLite and PostgreSQL."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import Engine, create_engine, event, text

from lineage_engine.model import ExposurePath
from lineage_engine.registry import Registry
from lineage_engine.registry import findings as findings_module
from lineage_engine.registry.engine import parse_registry_url
from lineage_engine.registry.events import event_hash
from tests.registry.conftest import postgres_schema_url

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
ORIGIN = "db.s.customers"
FINDINGS = 3_000


@contextmanager
def _inserts() -> Iterator[dict[str, int]]:
    """Count the INSERT statements sent to the driver per table (an executemany counts once), and
    the UPDATE statements as ``"UPDATE table"``."""
    counts: dict[str, int] = {}

    def seen(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        words = statement.split()
        if len(words) > 2 and words[0].upper() == "INSERT":
            counts[words[2]] = counts.get(words[2], 0) + 1
        elif len(words) > 1 and words[0].upper() == "UPDATE":
            counts[f"UPDATE {words[1]}"] = counts.get(f"UPDATE {words[1]}", 0) + 1

    event.listen(Engine, "before_cursor_execute", seen)
    try:
        yield counts
    finally:
        event.remove(Engine, "before_cursor_execute", seen)


def _scan() -> tuple[list[ExposurePath], dict[tuple[str, str], dict[str, object]]]:
    """Paths origin -> … -> t0041 -> t0042 (the last three hops): explanations share their hop dicts."""
    paths, explanations, hops = [], {}, []
    previous = ORIGIN
    for i in range(FINDINGS):
        terminal = f"db.s.t{i:04d}"
        hops = [*hops[-2:], {"downstream": terminal, "upstream": previous, "query_id": f"q{i}", "valid_to": None,
                        "user": "ETL é"}]
        route = (*(h["downstream"] for h in reversed(hops)), ORIGIN)
        paths.append(ExposurePath(origin=ORIGIN, terminal=terminal, path=route, hops=len(route) - 1,
                                  regulatory_tags=("pii",), classification="restricted", severity="HIGH",
                                  level="table", steward="dpo"))
        explanations[(ORIGIN, terminal)] = {"level": "table", "hops": hops, "opened_by": hops[-1]}
        previous = terminal
    return paths, explanations


def test_a_first_scan_inserts_many_findings_and_events_per_statement(registry: Registry, registry_url: str) -> None:
    paths, explanations = _scan()
    with _inserts() as counts:
        outcome = registry.record_scan(paths, T0, explanations=explanations, group_above=10)
    assert len(outcome.opened) == FINDINGS
    # one statement per row before (SQLite sent each RETURNING insert alone): now a few per table
    assert counts.get("findings", 0) <= 5 and counts.get("finding_events", 0) <= 5, counts

    findings = registry.list_findings()
    assert [f.id for f in findings] == sorted(f.id for f in outcome.opened)
    by_terminal = {f.terminal: f for f in findings}
    for path in paths[:: FINDINGS // 50]:
        stored = by_terminal[path.terminal]
        assert stored.explanation == json.loads(json.dumps(explanations[(ORIGIN, path.terminal)]))
        assert (stored.path, stored.opened_at, stored.last_seen_at, stored.resolved_at) == (
            path.path, T0, T0, None)
    engine = create_engine(parse_registry_url(registry_url))
    try:
        with engine.connect() as conn:
            if conn.dialect.name == "sqlite":  # the text a typed insert stores (json.dumps of the value)
                raw = dict(conn.execute(text("SELECT terminal, explanation FROM findings")).all())
                assert raw["db.s.t0042"] == json.dumps(explanations[(ORIGIN, "db.s.t0042")])
                # times in SQLAlchemy's text, as the ORM writes them: equal instants compare equal in SQL
                times = conn.execute(text("SELECT DISTINCT opened_at, last_seen_at, last_alerted_at FROM findings "
                                          "UNION SELECT DISTINCT at, at, at FROM finding_events")).all()
                assert times == [("2026-03-02 09:00:00.000000",) * 3], times
            rows = conn.execute(text("SELECT finding_id, event, at, actor, reason, details, prev_hash, hash "
                                     "FROM finding_events ORDER BY id")).all()
    finally:
        engine.dispose()
    assert len(rows) == 2 * FINDINGS  # opened + alerted each
    check = registry.verify_events()
    assert check.ok and check.checked == 2 * FINDINGS
    finding_id, name, _at, actor, reason, details, prev_hash, digest = rows[0]  # as stored, rehashed here
    assert (finding_id, name, prev_hash) == (findings[0].id, "opened", "0" * 64)
    assert digest == event_hash({"finding_id": finding_id, "event": name, "at": T0, "actor": actor, "reason": reason,
                                 "details": details if isinstance(details, dict) else json.loads(details)}, prev_hash)

    # a steady scan: no event, no finding written, the scan recorded (every open finding's last sighting)
    with _inserts() as counts:
        steady = registry.record_scan(paths, T0 + timedelta(hours=1), explanations=explanations, group_above=10)
    assert (steady.opened, steady.resolved, len(steady.still_open)) == ([], [], FINDINGS)
    assert [f.last_seen_at for f in registry.list_findings()] == [T0 + timedelta(hours=1)] * FINDINGS
    assert counts == {"finding_scans": 1} and registry.verify_events().checked == 2 * FINDINGS


def _ledger(registry: Registry) -> list[object]:
    """Everything a scan writes, as read back: findings, each one's events, the outbox, the chain."""
    findings = registry.list_findings()
    events = [(e.id, e.finding_id, e.event, e.at, e.actor, e.reason, e.details, e.hash)
              for f in findings for e in registry.finding_events(f.id)]
    alerts = [(a.dedupe_key, a.payload) for a in registry.pending_alerts(1_000)]
    return [findings, sorted(events), alerts, registry.verify_events().checked]


def _chunk_scans(registry: Registry) -> list[object]:
    """Three scans of 40 findings (an open, a steady one with a change, a partial resolve): the ledger after each."""
    paths, explanations = _scan()
    paths = paths[:40]
    seen = [registry.record_scan(paths, T0, explanations=explanations)]
    changed = [replace(p, severity="CRITICAL") if i % 3 == 0 else p for i, p in enumerate(paths)]
    seen.append(registry.record_scan(changed, T0 + timedelta(hours=1), explanations=explanations,
                                     realert_after=timedelta(minutes=30)))
    seen.append(registry.record_scan(changed[::2], T0 + timedelta(hours=2), explanations=explanations))
    return [[(o.opened, o.escalated, o.realerted, o.resolved, list(o.still_open)) for o in seen], _ledger(registry)]


def test_findings_and_events_written_in_chunks_are_those_of_one_write(registry_url: str,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """A scan inserts its findings and events a chunk at a time (memory bounded by a chunk): the same
    ids, events (order, content, chain) and alerts as when all are written at once."""
    with Registry(registry_url) as registry:
        registry.migrate()
        whole = _chunk_scans(registry)
    monkeypatch.setattr(findings_module, "_LOAD_CHUNK", 7)
    with contextlib.ExitStack() as stack:
        other = (registry_url.replace("registry.db", "chunked.db") if registry_url.startswith("sqlite")
                 else stack.enter_context(postgres_schema_url()))
        with Registry(other) as registry:
            registry.migrate()
            assert _chunk_scans(registry) == whole


def test_a_scan_that_fails_after_some_chunks_leaves_the_ledger_unchanged(registry: Registry,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    paths, explanations = _scan()
    registry.record_scan(paths[:10], T0, explanations=explanations)
    before = _ledger(registry)
    monkeypatch.setattr(findings_module, "_LOAD_CHUNK", 7)
    calls = []
    real = findings_module.append_events

    def append_then_fail(session, events):  # noqa: ANN001, ANN202
        calls.append(1)
        if len(calls) == 4:  # three chunks of findings and events are written by now
            raise RuntimeError("the database went away")
        return real(session, events)

    monkeypatch.setattr(findings_module, "append_events", append_then_fail)
    with pytest.raises(RuntimeError):
        registry.record_scan(paths[:60], T0 + timedelta(hours=1), explanations=explanations)
    assert len(calls) == 4
    monkeypatch.undo()
    assert _ledger(registry) == before
    assert [f.last_seen_at for f in registry.list_findings()] == [T0] * 10  # the failed scan is not recorded
