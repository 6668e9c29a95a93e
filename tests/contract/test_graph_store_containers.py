"""GraphStore contract for container events (issue 10 §4), run on every available backend.

DROP SCHEMA|DATABASE close every dataset inside at that instant; UNDROP reopens what the
drop closed; CREATE OR REPLACE is parsed as a DROP; ALTER SCHEMA|DATABASE ... RENAME TO
moves every dataset; ... SWAP WITH exchanges those of both. A container never becomes a Dataset node.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from lineage_engine.graph.store import GraphStore
from lineage_engine.model import ColumnLineage, DatasetRef, LineageEvent, Operation

T0 = datetime(2024, 3, 1, tzinfo=UTC)


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def ref(i: str, kind: str = "table") -> DatasetRef:
    return DatasetRef(i, i.upper(), kind)


def copy(hours: float, target: str, source: str, column: str = "email") -> LineageEvent:
    return LineageEvent(at(hours), f"q{hours}", "CREATE_TABLE_AS_SELECT", Operation.CREATE, ref(target), (ref(source),),
                        replaces=True, columns=(ColumnLineage(f"{source}.{column}", f"{target}.{column}"),))


def container(hours: float, operation: Operation, container_id: str, kind: str = "schema",
              new: str | None = None) -> LineageEvent:
    return LineageEvent(at(hours), f"q{hours}", operation.name, operation, ref(container_id, kind),
                        counterpart=ref(new, kind) if new else None)


def open_edges(store: GraphStore) -> set[tuple[str, str]]:
    return {(e.downstream, e.upstream) for e in store.iter_edges() if e.valid_to is None}


def open_columns(store: GraphStore) -> set[tuple[str, str]]:
    return {(e.downstream, e.upstream) for e in store.iter_column_edges() if e.valid_to is None}


def dataset_ids(store: GraphStore) -> set[str]:
    return {e.downstream for e in store.iter_edges()} | {e.upstream for e in store.iter_edges()}


HISTORY = [copy(1, "db.s.a", "db.raw.src"), copy(2, "db.s.b", "db.s.a"), copy(3, "db.other.c", "db.s.b"),
           copy(4, "db.s2.d", "db.raw.src")]


def test_drop_schema_closes_every_dataset_inside_and_undrop_reopens_them(store: GraphStore) -> None:
    store.apply_events([*HISTORY, container(5, Operation.DROP, "db.s")])
    assert open_edges(store) == {("db.other.c", "db.s.b"), ("db.s2.d", "db.raw.src")}
    assert open_columns(store) == {("db.other.c.email", "db.s.b.email"), ("db.s2.d.email", "db.raw.src.email")}
    assert "db.s" not in dataset_ids(store)
    store.apply_events([container(6, Operation.UNDROP, "db.s")])
    assert open_edges(store) == {("db.s.a", "db.raw.src"), ("db.s.b", "db.s.a"), ("db.other.c", "db.s.b"),
                                 ("db.s2.d", "db.raw.src")}
    assert ("db.s.b.email", "db.s.a.email") in open_columns(store)
    reopened = [e for e in store.iter_edges() if e.valid_to is None and e.downstream == "db.s.b"]
    assert [(e.valid_from, e.query_type) for e in reopened] == [(at(6), "UNDROP")]


def test_one_batch_drop_then_undrop_then_replay_changes_nothing_more(store: GraphStore) -> None:
    events = [*HISTORY, container(5, Operation.DROP, "db", kind="database"), container(6, Operation.UNDROP, "db", "database")]
    store.apply_events(events)
    first = sorted(store.iter_edges(), key=lambda e: (e.downstream, e.upstream, e.valid_from))
    assert {(e.downstream, e.upstream) for e in first if e.valid_to == at(5)} == {
        ("db.s.a", "db.raw.src"), ("db.s.b", "db.s.a"), ("db.other.c", "db.s.b"), ("db.s2.d", "db.raw.src")}
    assert len(open_edges(store)) == 4
    store.apply_events(events)  # a crawl re-run: same graph
    assert sorted(store.iter_edges(), key=lambda e: (e.downstream, e.upstream, e.valid_from)) == first


def test_a_table_dropped_before_its_schema_stays_dropped_after_undrop_schema(store: GraphStore) -> None:
    drop_a = LineageEvent(at(4.5), "qa", "DROP", Operation.DROP, ref("db.s.a"))
    store.apply_events([*HISTORY, drop_a, container(5, Operation.DROP, "db.s"), container(6, Operation.UNDROP, "db.s")])
    assert open_edges(store) == {("db.s.b", "db.s.a"), ("db.other.c", "db.s.b"), ("db.s2.d", "db.raw.src")}
    store.apply_events([LineageEvent(at(7), "qu", "UNDROP", Operation.UNDROP, ref("db.s.a"))])
    assert ("db.s.a", "db.raw.src") in open_edges(store)


def test_rename_schema_moves_every_dataset_inside(store: GraphStore) -> None:
    store.apply_events([*HISTORY, container(5, Operation.RENAME, "db.s", new="db.s_old")])
    assert open_edges(store) == {("db.s_old.a", "db.raw.src"), ("db.s_old.b", "db.s_old.a"),
                                 ("db.other.c", "db.s.b"), ("db.s2.d", "db.raw.src")}  # c keeps what it copied
    assert ("db.s_old.b.email", "db.s_old.a.email") in open_columns(store)
    assert "db.s_old" not in dataset_ids(store) and "db.s" not in dataset_ids(store)


def test_rename_schema_replayed_changes_nothing(store: GraphStore) -> None:
    events = [*HISTORY, container(5, Operation.RENAME, "db.s", new="db.s_old")]
    store.apply_events(events)
    first = sorted(store.iter_column_edges(), key=lambda e: (e.downstream, e.upstream, e.valid_from))
    store.apply_events(events)
    assert sorted(store.iter_column_edges(), key=lambda e: (e.downstream, e.upstream, e.valid_from)) == first


def test_swap_schema_exchanges_every_dataset_of_both_and_the_lineage_between_them(store: GraphStore) -> None:
    """ALTER SCHEMA db.s SWAP WITH db.s2 (Snowflake: each name then holds the other's objects): ``b``
    exists only in ``db.s`` (moves to ``db.s2.b``, still reading ``a``, now ``db.s2.a``), ``d`` only in
    ``db.s2``, ``a`` in both (exchanged)."""
    events = [*HISTORY, copy(4.5, "db.s2.a", "db.raw.other"), container(5, Operation.SWAP, "db.s", new="db.s2")]
    store.apply_events(events)
    assert open_edges(store) == {("db.s2.a", "db.raw.src"), ("db.s2.b", "db.s2.a"), ("db.s.a", "db.raw.other"),
                                 ("db.s.d", "db.raw.src"), ("db.other.c", "db.s.b")}  # c keeps what it copied
    assert ("db.s2.b.email", "db.s2.a.email") in open_columns(store)
    assert "db.s" not in dataset_ids(store) and "db.s2" not in dataset_ids(store)
    first = sorted(store.iter_column_edges(), key=lambda e: (e.downstream, e.upstream, e.valid_from))
    store.apply_events(events)  # a crawl re-run: same graph
    assert sorted(store.iter_column_edges(), key=lambda e: (e.downstream, e.upstream, e.valid_from)) == first
