"""The parse pool ships each chunk only the learned schema it can ask about (issue 13 §3)."""

from __future__ import annotations

from datetime import UTC, datetime

from lineage_engine.model import QueryRecord
from lineage_engine.parse_pool import state_for

AT = datetime(2024, 1, 1, tzinfo=UTC)
STATE: list[list[object]] = [
    ["db.s.orders", ["id", "amount"]],
    ["db.s.customers", ["id", "email"]],
    ['db.s."Mixed.Name"', ["x"]],
    ["db.other.orders", ["id"]],
    ["db.s.unused", ["a"]],
]


def record(text: str) -> QueryRecord:
    return QueryRecord("q", text, "INSERT", AT, AT)


def test_only_the_datasets_a_chunk_names_are_shipped_in_state_order() -> None:
    chunk = [record("insert into x select * from ORDERS"), record('select * from "Mixed.Name" m'),
             record("create table t as select * from identifier('db.s.customers')")]
    assert [e[0] for e in state_for(STATE, chunk)] == [
        "db.s.orders", "db.s.customers", 'db.s."Mixed.Name"', "db.other.orders"]  # a name matches every schema


def test_a_chunk_naming_nothing_learned_gets_an_empty_state() -> None:
    assert state_for(STATE, [record("select 1")]) == []
    assert state_for(None, [record("select 1")]) is None
