"""The marker of the column-lineage rules on both graph backends (graph/column_rules.py).

A graph crawled before the ``cast`` transform holds casts as ``identity`` column edges; its
migration stores its query-history ``identity`` column edges as ``cast`` (batch by batch, resumable)
and leaves other lanes' edges alone; a fresh graph is marked settled and never demoted.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest

from lineage_engine.graph import column_rules
from lineage_engine.graph.column_rules import column_rules_of, settle_column_rules, upgrade_column_rules

AT = datetime(2026, 5, 4, 9, 0, tzinfo=timezone.utc)
EDGES = [  # (downstream, upstream, transform, provenance)
    ("db.s.c.a", "db.s.pii.email", "identity", "parsed"),
    ("db.s.c.b", "db.s.pii.email", "identity", "access_history"),
    ("db.s.c.d", "db.s.pii.email", "identity", "parsed"),
    ("db.s.c.e", "db.s.pii.email", "expression", "parsed"),
    ("db.s.m.a", "db.s.pii.email", "identity", "dbt"),  # another lane: a query-history replay does not redo it
]


def _add_edges(store: Any) -> None:
    for down, up, transform, provenance in EDGES:
        for node in (down, up):
            store._execute("MERGE (:`Column` {id: $id})", {"id": node})
        store._execute("MATCH (d:`Column` {id: $d}) MATCH (u:`Column` {id: $u}) CREATE (d)-[:DERIVES_FROM "
                       "{valid_from: $at, first_seen: $at, last_seen: $at, observations: 1, transform: $t, "
                       "kind: 'DIRECT', provenance: $p, last_query_id: 'q1', query_type: 'CREATE_TABLE_AS_SELECT'}]->(u)",
                       {"d": down, "u": up, "at": AT, "t": transform, "p": provenance})


def _transforms(store: Any) -> dict[str, str]:
    rows = store._execute("MATCH (d:`Column`)-[e:DERIVES_FROM]->(:`Column`) RETURN d.id AS d, e.transform AS t", {})
    return {str(r["d"]): str(r["t"]) for r in rows}


def test_a_fresh_graph_is_settled_and_never_demoted(graph_store: Any) -> None:
    _add_edges(graph_store)  # crawled after the migration marked it
    graph_store.migrate()
    assert column_rules_of(graph_store) == column_rules.ColumnRules(untyped=0, demote_on_read=False)
    assert _transforms(graph_store)["db.s.c.a"] == "identity"


def test_an_old_graph_is_read_then_stored_as_cast_until_settled(graph_store: Any,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    graph_store._execute("MATCH (m:LineageRules) DELETE m", {})
    _add_edges(graph_store)
    rules = column_rules_of(graph_store)  # not migrated yet: read as the migration will store it
    assert rules == column_rules.ColumnRules(untyped=3, demote_on_read=True)
    read = rules.rows(graph_store.iter_column_edges(None))
    assert {r.downstream: r.transform for r in read} == {
        "db.s.c.a": "cast", "db.s.c.b": "cast", "db.s.c.d": "cast", "db.s.c.e": "expression", "db.s.m.a": "identity"}

    monkeypatch.setattr(column_rules, "BATCH", 2)  # two batches, each committed with its count
    assert upgrade_column_rules(graph_store) == 3
    assert _transforms(graph_store) == {r.downstream: r.transform for r in read}
    assert column_rules_of(graph_store) == column_rules.ColumnRules(untyped=3)
    assert upgrade_column_rules(graph_store) == 0  # idempotent

    assert settle_column_rules(graph_store) is True
    assert column_rules_of(graph_store) == column_rules.ColumnRules()
    assert settle_column_rules(graph_store) is False


def test_a_migration_stopped_half_way_resumes(graph_store: Any) -> None:
    graph_store._execute("MATCH (m:LineageRules) DELETE m", {})
    _add_edges(graph_store)
    # what a migration killed after its first batch leaves: the marker without upgraded_at, one edge stored
    graph_store._execute("CREATE (:LineageRules {id: 'column_edges', rules: 2, demoted: 1})", {})
    graph_store._execute("MATCH (d:`Column` {id: 'db.s.c.a'})-[e:DERIVES_FROM]->() SET e.transform = 'cast'", {})
    assert column_rules_of(graph_store) == column_rules.ColumnRules(untyped=3, demote_on_read=True)
    assert settle_column_rules(graph_store) is False  # not upgraded: a replay cannot settle it yet
    assert upgrade_column_rules(graph_store) == 2
    assert column_rules_of(graph_store) == column_rules.ColumnRules(untyped=3)
