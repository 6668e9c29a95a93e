"""Access facts in the registry (issue 14 §1): daily aggregates, idempotent by query id, SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from lineage_engine.access.reads import ReadFact
from lineage_engine.registry import Registry

T = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)


def _fact(query_id: str, at: datetime, principal: str = "ALICE", columns: tuple[str, ...] = ("db.raw.c.email",),
          warehouse: str | None = "WH") -> ReadFact:
    return ReadFact(query_id=query_id, at=at, principal=principal, role="ANALYST", warehouse=warehouse,
                    datasets=("db.raw.c",), columns=columns)


def test_reads_aggregate_per_day_and_replays_change_nothing(registry: Registry) -> None:
    batch = [_fact("q1", T), _fact("q2", T + timedelta(hours=2), warehouse="WH2"), _fact("q3", T + timedelta(days=1))]
    assert registry.record_reads(batch) == 3
    assert registry.record_reads(batch) == 0  # a replayed batch
    assert registry.record_reads([_fact("q2", T + timedelta(hours=2)), _fact("q4", T - timedelta(hours=1))]) == 1
    rows = registry.list_reads(objects=["db.raw.c.email"])
    assert [(r.day, r.reads, r.first_at, r.last_at, r.first_query_id) for r in rows] == [
        ("2026-11-02", 3, T - timedelta(hours=1), T + timedelta(hours=2), "q4"),
        ("2026-11-03", 1, T + timedelta(days=1), T + timedelta(days=1), "q3"),
    ]
    assert set(rows[0].sample_query_ids) == {"q1", "q2", "q4"} and rows[0].warehouses == ("WH", "WH2")
    datasets = registry.list_reads(objects=["db.raw.c"])
    assert [(r.object_kind, r.reads) for r in datasets] == [("dataset", 3), ("dataset", 1)]


def test_reads_are_listed_by_principal_and_day_range(registry: Registry) -> None:
    registry.record_reads([_fact("a1", T), _fact("b1", T, principal="BOB"), _fact("a2", T + timedelta(days=5))])
    mine = registry.list_reads(principal="alice")
    assert {r.principal for r in mine} == {"ALICE"} and len(mine) == 4  # dataset + column, two days
    assert {r.day for r in registry.list_reads(since=T + timedelta(days=1))} == {"2026-11-07"}
    assert {r.day for r in registry.list_reads(until=T + timedelta(hours=1))} == {"2026-11-02"}


def test_many_objects_in_one_batch(registry: Registry) -> None:
    columns = tuple(f"db.raw.c.col{n}" for n in range(1200))  # more than one IN chunk
    assert registry.record_reads([_fact("wide", T, columns=columns)]) == 1
    assert registry.record_reads([_fact("wide2", T, columns=columns)]) == 1
    rows = registry.list_reads(objects=list(columns))
    assert len(rows) == 1200 and {r.reads for r in rows} == {2}
