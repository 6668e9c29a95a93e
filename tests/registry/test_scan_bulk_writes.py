"""A scan writes its findings and events many rows per statement, storing what typed inserts store
(issue 13 §6), on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

from sqlalchemy import Engine, create_engine, event, text

from lineage_engine.model import ExposurePath
from lineage_engine.registry import Registry
from lineage_engine.registry.engine import parse_registry_url
from lineage_engine.registry.events import event_hash

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
ORIGIN = "db.s.customers"
FINDINGS = 3_000


@contextmanager
def _inserts() -> Iterator[dict[str, int]]:
    """Count the INSERT statements sent to the driver per table (an executemany counts once)."""
    counts: dict[str, int] = {}

    def seen(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        words = statement.split()
        if len(words) > 2 and words[0].upper() == "INSERT":
            counts[words[2]] = counts.get(words[2], 0) + 1

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

    # a steady scan: no event, no insert
    with _inserts() as counts:
        steady = registry.record_scan(paths, T0 + timedelta(hours=1), explanations=explanations, group_above=10)
    assert (steady.opened, steady.resolved, len(steady.still_open)) == ([], [], FINDINGS)
    assert counts == {} and registry.verify_events().checked == 2 * FINDINGS
