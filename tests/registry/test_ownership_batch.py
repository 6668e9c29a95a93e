"""Ownership facts recorded a batch at a time (issue 13: ``grants._Owners`` reads them once per run
of CREATEs) equal the facts recorded one statement at a time, the three queries each, on SQLite
and PostgreSQL, the history applied once and again (a replay)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

from lineage_engine.access.grant_parse import GrantStatement
from lineage_engine.access.ownership import OwnershipStatement
from lineage_engine.registry import Registry
from lineage_engine.registry import grants as grants_module

T = datetime(2026, 11, 1, tzinfo=timezone.utc)
OBJECTS = ("db.s.a", "db.s.b", "db.t.c", "db2.s.d")
ROLES = ("DBT", "LOADER", "ADMIN")


def _history(seed: int, count: int = 120) -> list[tuple[object, datetime, str]]:
    """A random mix of CREATEs (most), GRANT/REVOKE OWNERSHIP (object and FUTURE), GRANT SELECT,
    REVOKE ALL and DROP ROLE; some rows share an instant, some go back in time (late rows)."""
    rng = random.Random(seed)
    out: list[tuple[object, datetime, str]] = []
    at = T
    for i in range(count):
        at = at + timedelta(minutes=rng.choice((0, 1, 5))) if rng.random() > 0.05 else at - timedelta(minutes=7)
        obj, role = rng.choice(OBJECTS), rng.choice(ROLES)
        roll = rng.random()
        if roll < 0.6:
            st: object = OwnershipStatement(rng.choice(("create", "create", "create_keep")), obj, role)
        elif roll < 0.68:
            st = GrantStatement("grant", ("OWNERSHIP",), "TABLE", "object", obj, "ROLE", role)
        elif roll < 0.74:
            st = GrantStatement("grant", ("OWNERSHIP",), "TABLE", "future", rng.choice(("db.s", "db")), "ROLE", role)
        elif roll < 0.84:
            st = GrantStatement("grant", ("SELECT",), "TABLE", "object", obj, "ROLE", role)
        elif roll < 0.92:
            st = GrantStatement("revoke", (rng.choice(("ALL", "OWNERSHIP")),), "TABLE", "object", obj, "ROLE", role)
        else:
            st = OwnershipStatement("drop_role", role, rng.choice(ROLES))
        out.append((st, at, f"q{i}"))
    return out


def _facts(registry: Registry) -> list[tuple[object, ...]]:
    return sorted((f.privilege, f.on_kind, f.scope, f.object_id, f.grantee_kind, f.grantee, f.valid_from,
                   f.valid_to, f.query_id) for f in registry.grant_history())


def _one_at_a_time(registry: Registry, history: list[tuple[object, datetime, str]]) -> None:
    """Each statement in its own transaction, ownership without the batch's read-once facts."""
    for st, at, query_id in history:
        with registry._transaction("record grants") as session:
            if isinstance(st, OwnershipStatement):
                grants_module.record_ownership(session, st, at, query_id)
            else:
                grants_module.record_statements(session, [(st, at, query_id)])


def test_ownership_recorded_by_batch_equals_one_statement_at_a_time(registry_url: str, tmp_path) -> None:
    other_url = registry_url.replace("registry.db", "registry-one.db") if registry_url.startswith("sqlite") else None
    for seed in range(6):
        history = _history(seed)
        with Registry(registry_url) as batched:
            batched.migrate()
            for start in range(0, len(history), 40):  # batches, as the crawl commits them
                batched.record_grants(history[start:start + 40])
            got = [_facts(batched)]
            batched.record_grants(history)  # replayed in one batch
            got.append(_facts(batched))
            with batched._transaction("reset") as session:
                session.query(grants_module.GrantFactRow).delete()
        # PostgreSQL: one schema, emptied between the two ways; SQLite: a second database
        with Registry(registry_url if other_url is None else other_url) as single:
            if other_url is not None:
                single.migrate()
            _one_at_a_time(single, history)
            want = [_facts(single)]
            _one_at_a_time(single, history)
            want.append(_facts(single))
            with single._transaction("reset") as session:
                session.query(grants_module.GrantFactRow).delete()
        assert got == want, f"seed {seed}"
        assert any(f[0] == "OWNERSHIP" for f in want[0])
