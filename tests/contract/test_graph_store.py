"""GraphStore contract (lineage_engine/graph/store.py), run on every available backend."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone

import pytest

from lineage_engine.errors import GraphError
from lineage_engine.graph import cypher_store
from lineage_engine.graph.store import GraphStore
from lineage_engine.model import Asset, DatasetRef, EdgeRow, LineageEvent, MergeReport, Operation, SavedTrace

T0 = datetime(2024, 3, 1, tzinfo=UTC)
NODE = SavedTrace(name="_node", text="MATCH (d:Dataset {id: $id}) RETURN d AS node")
COLUMN = SavedTrace(name="_column", text="MATCH (c:`Column` {id: $id}) RETURN c AS node")


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def ref(dataset_id: str, kind: str = "table") -> DatasetRef:
    return DatasetRef(dataset_id, dataset_id.upper(), kind)


def event(hours: float, op: Operation, target: str, *sources: str, replaces: bool = False,
          counterpart: str | None = None, query_id: str | None = None, via: tuple[str, ...] = ()) -> LineageEvent:
    return LineageEvent(
        at=at(hours), query_id=query_id or f"q{hours:06.2f}", query_type=op.name, operation=op,
        target=ref(target), sources=tuple(ref(s) for s in sources), replaces=replaces,
        counterpart=ref(counterpart) if counterpart else None, via=via,
    )


def insert(hours: float, target: str, *sources: str, **kw: object) -> LineageEvent:
    return event(hours, Operation.INSERT, target, *sources, **kw)  # type: ignore[arg-type]


def ctas(hours: float, target: str, *sources: str, **kw: object) -> LineageEvent:
    return event(hours, Operation.REPLACE, target, *sources, replaces=True, **kw)  # type: ignore[arg-type]


def intervals(store: GraphStore, as_of: datetime | None = None) -> list[tuple[str, str, datetime, datetime | None]]:
    return [(e.downstream, e.upstream, e.valid_from, e.valid_to) for e in store.iter_edges(as_of)]


def open_edges(store: GraphStore) -> set[tuple[str, str]]:
    return {(e.downstream, e.upstream) for e in store.iter_edges() if e.valid_to is None}


def node(store: GraphStore, dataset_id: str, trace: SavedTrace = NODE) -> dict[str, object]:
    rows = store.run_trace(trace, {"id": dataset_id})
    assert len(rows) == 1, rows
    return rows[0]["node"]  # type: ignore[return-value]


# -- batch merges ------------------------------------------------------------------------------


def test_three_rows_sharing_an_upstream_store_three_edges(store: GraphStore) -> None:
    report = store.apply_events([insert(1, "d.s.b", "d.s.a"), insert(1, "d.s.c", "d.s.a"),
                                 insert(1, "d.s.d", "d.s.a")])
    assert report == MergeReport(datasets_created=4, edges_created=3)
    counts = store.counts()
    assert (counts.datasets, counts.dataset_edges, counts.columns, counts.column_edges) == (4, 3, 0, 0)
    assert open_edges(store) == {("d.s.b", "d.s.a"), ("d.s.c", "d.s.a"), ("d.s.d", "d.s.a")}


def test_large_batch_with_repeated_nodes_stores_exact_counts(store: GraphStore) -> None:
    rng = random.Random(4)
    ids = [f"db.s.t{i:03d}" for i in range(300)]
    pairs = set()
    while len(pairs) < 2_000:  # every node repeats ~13 times in the batch
        d, u = rng.sample(ids, 2)
        pairs.add((d, u))
    events = [insert(1 + i / 10_000, d, u) for i, (d, u) in enumerate(sorted(pairs))]
    report = store.apply_events(events)
    assert report.edges_created == 2_000
    assert store.counts().dataset_edges == 2_000
    assert store.counts().datasets == len({x for p in pairs for x in p})
    assert open_edges(store) == pairs


def test_one_event_with_many_sources_and_repeated_targets(store: GraphStore) -> None:
    store.apply_events([insert(1, "d.s.t", "d.s.a", "d.s.b", "d.s.c"), insert(1, "d.s.u", "d.s.a", "d.s.t"),
                        insert(1, "d.s.v", "d.s.t", "d.s.u", "d.s.a")])
    assert store.counts().dataset_edges == 8
    assert store.counts().datasets == 6


# -- idempotency ---------------------------------------------------------------------------------

HISTORY = [
    insert(1, "d.s.b", "d.s.a", via=("d.s.tmp1",)),
    insert(2, "d.s.b", "d.s.a"),
    ctas(3, "d.s.c", "d.s.b"),
    ctas(4, "d.s.c", "d.s.a"),
    insert(5, "d.s.b", "d.s.x"),
    event(6, Operation.RENAME, "d.s.c", counterpart="d.s.c2"),
    event(7, Operation.DROP, "d.s.b"),
    insert(8, "d.s.b", "d.s.a"),
]


def test_reapplying_a_batch_changes_nothing(store: GraphStore) -> None:
    store.apply_events(HISTORY)
    before = (store.counts(), list(store.iter_edges()), node(store, "d.s.b"))
    assert store.apply_events(HISTORY) == MergeReport(events_skipped=len(HISTORY))
    assert (store.counts(), list(store.iter_edges()), node(store, "d.s.b")) == before


def test_overlapping_batches_equal_one_clean_run(open_store, tmp_path) -> None:  # type: ignore[no-untyped-def]
    store = open_store()
    for start, stop in ((0, 3), (1, 6), (0, 8), (5, 8)):  # a crawl killed and re-run, twice
        store.apply_events(HISTORY[start:stop])
    replayed = (store.counts(), list(store.iter_edges()))
    store.close()
    for path in tmp_path.iterdir():
        path.unlink()
    clean = open_store()
    clean.apply_events(HISTORY)
    assert (clean.counts(), list(clean.iter_edges())) == replayed


# -- temporal contract ----------------------------------------------------------------------------


def test_insert_reobserves_an_open_interval(store: GraphStore) -> None:
    store.apply_events([insert(1, "d.s.b", "d.s.a", via=("d.s.tmp1",))])
    report = store.apply_events([insert(2, "d.s.b", "d.s.a", via=("d.s.tmp2",))])
    assert report == MergeReport(edges_updated=1)
    [edge] = list(store.iter_edges())
    assert edge == EdgeRow("d.s.b", "d.s.a", at(1), None, at(1), at(2), 2, "q002.00", "INSERT",
                           ("d.s.tmp1", "d.s.tmp2"))


def test_replace_closes_only_edges_not_rederived(store: GraphStore) -> None:
    store.apply_events([ctas(1, "d.s.t", "d.s.a", "d.s.c")])
    report = store.apply_events([ctas(2, "d.s.t", "d.s.a", "d.s.d")])
    assert report == MergeReport(datasets_created=1, edges_created=1, edges_updated=1, edges_closed=1)
    assert intervals(store) == [
        ("d.s.t", "d.s.a", at(1), None),
        ("d.s.t", "d.s.c", at(1), at(2)),
        ("d.s.t", "d.s.d", at(2), None),
    ]


def test_insert_and_merge_add_without_closing(store: GraphStore) -> None:
    store.apply_events([ctas(1, "d.s.t", "d.s.a"), insert(2, "d.s.t", "d.s.b"),
                        event(3, Operation.MERGE, "d.s.t", "d.s.c")])
    assert open_edges(store) == {("d.s.t", "d.s.a"), ("d.s.t", "d.s.b"), ("d.s.t", "d.s.c")}


def test_drop_closes_incoming_and_sets_dropped_at(store: GraphStore) -> None:
    store.apply_events([insert(1, "d.s.t", "d.s.a", "d.s.b"), insert(1, "d.s.u", "d.s.t")])
    report = store.apply_events([event(2, Operation.DROP, "d.s.t")])
    assert report.edges_closed == 2
    assert intervals(store) == [("d.s.t", "d.s.a", at(1), at(2)), ("d.s.t", "d.s.b", at(1), at(2)),
                                ("d.s.u", "d.s.t", at(1), None)]
    assert node(store, "d.s.t")["dropped_at"] == at(2)
    store.apply_events([ctas(3, "d.s.t", "d.s.a")])  # re-created: alive again
    assert node(store, "d.s.t")["dropped_at"] is None


def test_rename_moves_identity(store: GraphStore) -> None:
    store.apply_events([insert(1, "d.s.old", "d.s.a", via=("d.s.tmp",)), insert(1, "d.s.old", "d.s.b")])
    store.apply_events([event(2, Operation.RENAME, "d.s.old", counterpart="d.s.new")])
    assert intervals(store) == [
        ("d.s.new", "d.s.a", at(2), None), ("d.s.new", "d.s.b", at(2), None),
        ("d.s.old", "d.s.a", at(1), at(2)), ("d.s.old", "d.s.b", at(1), at(2)),
    ]
    assert [e.via for e in store.iter_edges() if e.downstream == "d.s.new"] == [("d.s.tmp",), ()]
    assert node(store, "d.s.old")["dropped_at"] == at(2)
    assert node(store, "d.s.new")["dropped_at"] is None
    assert node(store, "d.s.new")["name"] == "D.S.NEW"


def test_clone_swap_drop_never_self_loops(store: GraphStore) -> None:
    store.apply_events([
        ctas(1, "d.s.prod", "d.s.src"),
        event(2, Operation.CLONE, "d.s.prod_clone", "d.s.prod", replaces=True),
        insert(3, "d.s.prod_clone", "d.s.staging"),
        event(4, Operation.SWAP, "d.s.prod", counterpart="d.s.prod_clone"),
        event(5, Operation.DROP, "d.s.prod_clone"),
    ])
    edges = list(store.iter_edges())
    assert all(e.downstream != e.upstream for e in edges)
    assert open_edges(store) == {("d.s.prod", "d.s.src"), ("d.s.prod", "d.s.staging")}
    current = {(e.downstream, e.upstream): e.valid_from for e in edges if e.valid_to is None}
    assert current[("d.s.prod", "d.s.src")] == at(1)  # re-derived: the interval continues
    assert current[("d.s.prod", "d.s.staging")] == at(4)
    assert intervals(store, at(4.5)) == [("d.s.prod", "d.s.src", at(1), None), ("d.s.prod", "d.s.staging", at(4), None),
                                         ("d.s.prod_clone", "d.s.src", at(4), at(5))]


def test_swap_exchanges_open_sets(store: GraphStore) -> None:
    store.apply_events([ctas(1, "d.s.x", "d.s.a"), ctas(1, "d.s.y", "d.s.b"),
                        event(2, Operation.SWAP, "d.s.x", counterpart="d.s.y")])
    assert open_edges(store) == {("d.s.x", "d.s.b"), ("d.s.y", "d.s.a")}


def test_self_loops_are_never_stored(store: GraphStore) -> None:
    store.apply_events([insert(1, "d.s.t", "d.s.t", "d.s.a")])
    assert open_edges(store) == {("d.s.t", "d.s.a")}


def test_as_of_reads_are_exact_at_interval_boundaries(store: GraphStore) -> None:
    store.apply_events([ctas(1, "d.s.t", "d.s.a"), ctas(2, "d.s.t", "d.s.b")])
    tick = timedelta(microseconds=1)
    assert intervals(store, at(1) - tick) == []
    assert intervals(store, at(1)) == [("d.s.t", "d.s.a", at(1), at(2))]  # valid_from inclusive
    assert intervals(store, at(2) - tick) == [("d.s.t", "d.s.a", at(1), at(2))]
    assert intervals(store, at(2)) == [("d.s.t", "d.s.b", at(2), None)]  # valid_to exclusive
    other_zone = at(2).astimezone(timezone(timedelta(hours=-5)))
    assert intervals(store, other_zone) == [("d.s.t", "d.s.b", at(2), None)]


def test_closed_then_reopened_edge_has_two_intervals(store: GraphStore) -> None:
    store.apply_events([insert(1, "d.s.t", "d.s.a"), ctas(2, "d.s.t", "d.s.b"), insert(3, "d.s.t", "d.s.a")])
    assert [(u, f, t) for d, u, f, t in intervals(store) if u == "d.s.a"] == [
        ("d.s.a", at(1), at(2)), ("d.s.a", at(3), None)]
    assert [u for _, u, _, _ in intervals(store, at(2.5))] == ["d.s.b"]
    assert [u for _, u, _, _ in intervals(store, at(3))] == ["d.s.a", "d.s.b"]


def test_same_query_replace_then_insert_keeps_the_interval(store: GraphStore) -> None:
    store.apply_events([insert(1, "d.s.t", "d.s.a")])
    store.apply_events([ctas(2, "d.s.t", "d.s.b", query_id="multi"), insert(2, "d.s.t", "d.s.a", query_id="multi")])
    assert intervals(store) == [("d.s.t", "d.s.a", at(1), None), ("d.s.t", "d.s.b", at(2), None)]


def test_nodes_carry_times_kind_and_namespace(store: GraphStore) -> None:
    view = LineageEvent(at(2), "qv", "CREATE_VIEW", Operation.VIEW, ref("prod_db.rpt.v", "view"),
                        (ref("prod_db.raw.a"),), replaces=True)
    store.apply_events([insert(1, "prod_db.raw.a", "@prod_db.raw.stage"), view,
                        insert(3, "prod_db.rpt.t", "prod_db.rpt.v")])  # a read says "table"
    v = node(store, "prod_db.rpt.v")
    assert (v["kind"], v["name"], v["namespace"], v["first_seen"], v["last_seen"]) == \
        ("view", "PROD_DB.RPT.V", "prod_db", at(2), at(3))
    assert node(store, "@prod_db.raw.stage")["namespace"] == "prod_db"
    assert not any(key.startswith("_") for key in v)


def test_datetimes_come_back_aware_utc(store: GraphStore) -> None:
    local = LineageEvent(datetime(2024, 3, 1, 12, tzinfo=timezone(timedelta(hours=2))), "q", "INSERT",
                         Operation.INSERT, ref("d.s.t"), (ref("d.s.a"),))
    store.apply_events([local])
    [edge] = list(store.iter_edges())
    assert edge.valid_from == datetime(2024, 3, 1, 10, tzinfo=UTC)
    assert edge.valid_from.utcoffset() == timedelta(0)


# -- classification sync -------------------------------------------------------------------------


def test_classification_sync_sets_and_clears(store: GraphStore) -> None:
    store.apply_events([insert(1, "d.s.t", "d.s.a")])
    store._execute("MERGE (c:`Column` {id: $id}) SET c.dataset_id = 'd.s.a'", {"id": "d.s.a.email"})  # type: ignore[attr-defined]
    assets = [
        Asset("d.s.a", classification="restricted", regulatory_tags=("gdpr", "pii"), steward="dpo@x"),
        Asset("d.s.t", classification="internal", masking_policy="MASK_EMAIL"),
        Asset("d.s.a.email", asset_type="column", classification="restricted", regulatory_tags=("pii",)),
        Asset("d.s.missing", classification="restricted"),
    ]
    assert store.sync_classifications(assets) == 3
    a = node(store, "d.s.a")
    assert (a["classification"], a["tags"], a["steward"], a["masking_policy"]) == ("restricted", ["gdpr", "pii"], "dpo@x", None)
    assert node(store, "d.s.t")["masking_policy"] == "MASK_EMAIL"
    email = node(store, "d.s.a.email", COLUMN)
    assert (email["classification"], email["tags"]) == ("restricted", ["pii"])
    assert store.counts().datasets == 2  # assets without a node are skipped, not created
    assert store.sync_classifications(assets) == 0  # idempotent

    assert store.sync_classifications(assets[:1]) == 2  # t and the column lost their assets
    t = node(store, "d.s.t")
    assert (t["classification"], t["tags"], t["steward"], t["masking_policy"]) == (None, None, None, None)
    assert node(store, "d.s.a.email", COLUMN)["classification"] is None
    assert node(store, "d.s.a")["classification"] == "restricted"


# -- all or nothing ------------------------------------------------------------------------------


def test_failed_batch_stores_nothing(store: GraphStore, monkeypatch: pytest.MonkeyPatch) -> None:
    store.apply_events([ctas(1, "d.s.t", "d.s.a")])
    before = (store.counts(), list(store.iter_edges()), node(store, "d.s.t"))
    real = store._execute  # type: ignore[attr-defined]

    def failing(query: str, params: dict[str, object]) -> list[dict[str, object]]:
        if query == cypher_store.CLOSE_INTERVALS:  # after nodes and new intervals were written
            raise GraphError(store.backend, "injected failure")
        return real(query, params)

    monkeypatch.setattr(store, "_execute", failing)
    batch = [ctas(2, "d.s.t", "d.s.b"), insert(2, "d.s.n", "d.s.t"), event(3, Operation.DROP, "d.s.a")]
    with pytest.raises(GraphError, match="injected failure"):
        store.apply_events(batch)
    monkeypatch.setattr(store, "_execute", real)
    assert (store.counts(), list(store.iter_edges()), node(store, "d.s.t")) == before
    assert store.apply_events(batch).edges_created == 2  # the retry applies it whole


@pytest.mark.parametrize("text", [
    "MATCH (d:Dataset) SET d.kind = 'view' RETURN d.id AS id",
    "CREATE (:Dataset {id: 'intruder'})",
    "MATCH (d:Dataset) DETACH DELETE d",
    "LOAD CSV FROM 'file:///etc/passwd' AS line RETURN line",
    "CALL db.createLabel('X')",
])
def test_run_trace_refuses_anything_but_reads_before_running(store: GraphStore, text: str) -> None:
    """Issue 11 §4: on every backend, whatever builds the SavedTrace."""
    store.apply_events([event(0, Operation.CREATE, "db.s.a", "db.s.src")])
    before = store.counts()
    with pytest.raises(GraphError, match="which is not a read"):
        store.run_trace(SavedTrace(name="evil", text=text), {})
    assert store.counts() == before
