"""The pure fold (graph/timeline.py): plans computed from events and stored state, no engine."""

from __future__ import annotations

import ast
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from lineage_engine.graph import intervals, timeline
from lineage_engine.graph.intervals import dataset_group, swapped
from lineage_engine.graph.timeline import NodeState, Reads, fold_events, namespace_of, reads_for
from lineage_engine.model import ColumnLineage, DatasetRef, EdgeRow, LineageEvent, MergeReport, Operation

T0 = datetime(2024, 3, 1, tzinfo=UTC)


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def ev(hours: float, op: Operation, target: str, *sources: str, replaces: bool = False,
       counterpart: str | None = None, query_id: str | None = None) -> LineageEvent:
    return LineageEvent(at(hours), query_id or f"q{hours}", op.name, op, DatasetRef(target, target),
                        tuple(DatasetRef(s, s) for s in sources), replaces,
                        DatasetRef(counterpart, counterpart) if counterpart else None)


def open_row(downstream: str, upstream: str, hours: float, last: float | None = None) -> EdgeRow:
    return EdgeRow(downstream, upstream, at(hours), None, at(hours), at(last or hours), 1, "q", "INSERT")


def cev(hours: float, op: Operation, target: str, *edges: tuple[str, ...], replaces: bool = False,
        counterpart: str | None = None, query_id: str | None = None) -> LineageEvent:
    """An event whose sources are the datasets of its column edges ``(source, target[, transform])``."""
    sources = sorted({e[0].rpartition(".")[0] for e in edges})
    columns = tuple(ColumnLineage(e[0], e[1], e[2] if len(e) > 2 else "identity") for e in edges)
    return LineageEvent(at(hours), query_id or f"q{hours}", op.name, op, DatasetRef(target, target),
                        tuple(DatasetRef(s, s) for s in sources), replaces,
                        DatasetRef(counterpart, counterpart) if counterpart else None, columns=columns)


def col_row(downstream: str, upstream: str, hours: float, transform: str = "identity") -> EdgeRow:
    return EdgeRow(downstream, upstream, at(hours), None, at(hours), at(hours), 1, "q", "INSERT",
                   transform=transform, kind="DIRECT")


def spans(rows: tuple[EdgeRow, ...]) -> list[tuple[str, str, str, datetime, datetime | None]]:
    return [(r.downstream, r.upstream, r.transform, r.valid_from, r.valid_to) for r in rows]


def test_timeline_imports_only_the_stdlib_and_model() -> None:
    # The interval machinery moved to graph/intervals.py (issue 5: shared by dataset and
    # column edges); both modules stay pure.
    for module in (timeline, intervals):
        tree = ast.parse(Path(module.__file__).read_text())
        modules = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        modules |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        assert modules <= {"__future__", "collections.abc", "dataclasses", "datetime", "lineage_engine.model",
                           "lineage_engine.graph.intervals"}


def test_reads_and_namespace() -> None:
    events = [ev(1, Operation.INSERT, "d.s.t", "d.s.a", "d.s.t"), ev(1, Operation.INSERT, "d.s.x", "d.s.a"),
              ev(2, Operation.SWAP, "d.s.x", counterpart="d.s.y")]
    assert reads_for(events) == Reads(named=("d.s.a", "d.s.t", "d.s.x", "d.s.y"), full=("d.s.x", "d.s.y"),
                                      pairs=(("d.s.t", "d.s.a"),), column_targets=("d.s.x", "d.s.y"))
    with_columns = [cev(1, Operation.INSERT, "d.s.t", ("d.s.a.x", "d.s.t.x"))]
    assert reads_for(with_columns).column_targets == ("d.s.t",)  # an INSERT with column lineage reads its target
    assert namespace_of("@prod_db.raw.landing") == "prod_db"
    assert namespace_of("prod_db.raw.customers") == "prod_db"


def test_swap_replaces_the_other_side_by_its_upstreams() -> None:
    # Edges are keyed (downstream, upstream, kind) and carry (via, transform) since issue 5.
    prod = {("prod", "src", ""): ((), "")}
    clone = {("clone", "prod", ""): ((), ""), ("clone", "staging", ""): (("tmp",), "")}
    assert swapped(clone, prod, "clone", "prod", dataset_group) == {
        ("prod", "staging", ""): (("tmp",), ""), ("prod", "src", ""): ((), "")}
    assert swapped(prod, clone, "prod", "clone", dataset_group) == {("clone", "src", ""): ((), "")}


def test_replace_plan_against_stored_state() -> None:
    nodes = {i: NodeState(i, i, "table", at(1), at(1)) for i in ("t", "a", "c")}
    plan = fold_events([ev(2, Operation.REPLACE, "t", "a", "d", replaces=True)], nodes,
                       [open_row("t", "a", 1), open_row("t", "c", 1)])
    assert plan.report == MergeReport(datasets_created=1, edges_created=1, edges_updated=1, edges_closed=1)
    assert [(r.upstream, r.valid_from, r.observations) for r in plan.upserts] == [("a", at(1), 2), ("d", at(2), 1)]
    assert [(r.upstream, r.valid_to) for r in plan.closes] == [("c", at(2))]
    assert plan.marks == (("t", at(2), "q2"),)
    assert [(n.id, n.name, n.first_seen, n.last_seen) for n in plan.nodes] == [
        ("a", None, at(1), at(2)), ("d", "d", at(2), at(2)), ("t", "t", at(1), at(2))]
    stored = EdgeRow("t", "a", at(1), None, at(1), at(2), 2, "q2", "REPLACE")
    replay = fold_events([ev(2, Operation.REPLACE, "t", "a", replaces=True)],
                         {i: NodeState(i, i, "table", at(1), at(2), last_event_at=at(2), last_event_query_id="q2")
                          for i in ("t", "a")}, [stored], history=[stored], resets={"t": ["2024-03-01T02:00:00.000000Z|q2"]})
    assert (replay.nodes, replay.upserts, replay.closes, replay.skipped) == ((), (), (), 1)  # nothing left to write


def test_events_at_or_before_the_targets_mark_already_applied_are_skipped() -> None:
    nodes = {"t": NodeState("t", "t", "table", at(1), at(3), last_event_at=at(3), last_event_query_id="q3")}
    events = [ev(2, Operation.REPLACE, "t", "x", replaces=True), ev(3, Operation.DROP, "t", query_id="q3"),
              ev(3, Operation.INSERT, "t", "y", query_id="q4")]
    history = [replace(open_row("t", "a", 1), valid_to=at(2)), replace(open_row("t", "x", 2), valid_to=at(3))]
    resets = {"t": [timeline.encode_position((at(2), "q2")), timeline.encode_position((at(3), "q3"))]}
    assert timeline.late_datasets(events, nodes) == ("t",)
    plan = fold_events(events, nodes, [], history=history, resets=resets)
    assert plan.skipped == 2
    assert [r.upstream for r in plan.upserts] == ["y"] and plan.closes == ()


def test_a_late_event_folds_into_the_past_as_in_end_time_order() -> None:
    # stored: t <- a since 1 (last seen 1), t <- b since 4; t's last event at 4; resets of t: 5
    nodes = {"t": NodeState("t", "t", "table", at(1), at(4), last_event_at=at(4), last_event_query_id="q4")}
    stored = [open_row("t", "a", 1), replace(open_row("t", "b", 4), valid_to=at(5))]
    resets = {"t": [timeline.encode_position((at(5), "q5"))]}
    late_insert = fold_events([ev(2, Operation.INSERT, "t", "p")], nodes, [], history=stored, resets=resets)
    assert spans(late_insert.upserts) == [("t", "p", "", at(2), at(5))]  # written open, then closed at the reset
    assert spans(late_insert.closes) == [("t", "p", "", at(2), at(5))]
    assert (late_insert.report.events_late, late_insert.skipped) == (1, 0)
    late_replace = fold_events([ev(3, Operation.REPLACE, "t", "p", replaces=True)], nodes, [], history=stored,
                               resets=resets)
    assert spans(late_replace.closes) == [("t", "a", "", at(1), at(3)), ("t", "p", "", at(3), at(5))]
    assert late_replace.resets == (("t", tuple(timeline.encode_position(p) for p in ((at(3), "q3"), (at(5), "q5")))),)
    assert late_replace.report.events_inexact == 0 and late_replace.marks == ()
    # a DROP at 3 of a t observed since (t <- a last seen at 4): kept, counted inexact
    seen_since = [open_row("t", "a", 1, last=4)]
    late_drop = fold_events([ev(3, Operation.DROP, "t")], nodes, [], history=seen_since, resets=resets)
    assert (late_drop.closes, late_drop.report.events_inexact, late_drop.drops) == ((), 1, ())


def test_an_interval_opened_and_closed_at_one_instant_is_never_written() -> None:
    plan = fold_events([ev(1, Operation.INSERT, "t", "a", query_id="m"),
                        ev(1, Operation.REPLACE, "t", "b", replaces=True, query_id="m")], {}, [])
    assert [r.upstream for r in plan.upserts] == ["b"] and plan.closes == ()
    assert plan.report.edges_created == 1


def test_drop_then_recreate_in_one_batch_revives() -> None:
    nodes = {"t": NodeState("t", "t", "table", at(1), at(1), dropped_at=None)}
    plan = fold_events([ev(2, Operation.DROP, "t"), ev(3, Operation.REPLACE, "t", "a", replaces=True)],
                       nodes, [open_row("t", "a", 1)])
    assert plan.drops == () and plan.revived == ()
    assert [(r.valid_from, r.valid_to) for r in plan.closes] == [(at(1), at(2))]
    assert [(r.valid_from, r.valid_to) for r in plan.upserts] == [(at(3), None)]


# -- column edges (issue 5): the same fold, grouped by the downstream column's dataset ---------


def test_column_replace_closes_edges_into_any_column_not_rederived() -> None:
    stored = [col_row("t.x", "a.x", 1), col_row("t.y", "a.y", 1), col_row("t.z", "b.z", 1)]
    nodes = {i: NodeState(i, i, "table", at(1), at(1)) for i in ("t", "a", "b")}
    plan = fold_events([cev(2, Operation.REPLACE, "t", ("a.x", "t.x"), ("a.y", "t.w"), replaces=True)],
                       nodes, [open_row("t", "a", 1), open_row("t", "b", 1)], stored)
    # t.x <- a.x re-derived: stays open (re-observed); t.y and t.z (column gone) close; t.w opens
    assert spans(plan.column_closes) == [("t.y", "a.y", "identity", at(1), at(2)), ("t.z", "b.z", "identity", at(1), at(2))]
    assert spans(plan.column_creates) == [("t.w", "a.y", "identity", at(2), None)]
    assert [(r.downstream, r.observations) for r in plan.column_updates] == [("t.x", 2)]
    assert [(c.id, c.dataset_id, c.name) for c in plan.columns] == [("a.y", "a", "y"), ("t.w", "t", "w")]
    assert (plan.report.column_edges_created, plan.report.column_edges_updated, plan.report.column_edges_closed) \
        == (1, 1, 2)
    assert [r.upstream for r in plan.closes] == ["b"]  # the dataset edge to b closes with its columns


def test_column_transform_changes_open_a_new_interval_adds_widen_replaces_set() -> None:
    stored = [col_row("t.h", "a.e", 1, "masked")]
    nodes = {i: NodeState(i, i, "table", at(1), at(1)) for i in ("t", "a")}
    widened = fold_events([cev(2, Operation.INSERT, "t", ("a.e", "t.h", "identity"))], nodes,
                          [open_row("t", "a", 1)], stored)
    assert spans(widened.column_closes) == [("t.h", "a.e", "masked", at(1), at(2))]
    assert spans(widened.column_creates) == [("t.h", "a.e", "identity", at(2), None)]
    kept = fold_events([cev(2, Operation.INSERT, "t", ("a.e", "t.h", "masked"))], nodes, [open_row("t", "a", 1)],
                       [col_row("t.h", "a.e", 1, "identity")])
    assert kept.column_closes == () and kept.column_creates == ()  # a hashed copy beside a clear one stays clear
    assert [r.transform for r in kept.column_updates] == ["identity"]
    narrowed = fold_events([cev(2, Operation.REPLACE, "t", ("a.e", "t.h", "masked"), replaces=True)], nodes,
                           [open_row("t", "a", 1)], [col_row("t.h", "a.e", 1, "identity")])
    assert spans(narrowed.column_closes) == [("t.h", "a.e", "identity", at(1), at(2))]
    assert spans(narrowed.column_creates) == [("t.h", "a.e", "masked", at(2), None)]


def test_column_edges_off_the_dataset_edges_of_their_event_are_not_stored() -> None:
    event = LineageEvent(at(1), "q", "INSERT", Operation.INSERT, DatasetRef("t", "t"), (DatasetRef("a", "a"),),
                         columns=(ColumnLineage("a.x", "t.x"), ColumnLineage("z.x", "t.y"),
                                  ColumnLineage("a.x", "u.x"), ColumnLineage("t.q", "t.x"), ColumnLineage("t.x", "t.x")))
    plan = fold_events([event], {}, [])
    # z is no source and u no target: dropped; t.x <- t.q lies inside t: kept; t.x <- t.x is a self-loop
    assert spans(plan.column_creates) == [("t.x", "a.x", "identity", at(1), None), ("t.x", "t.q", "identity", at(1), None)]


def test_column_rename_moves_and_swap_exchanges_columns() -> None:
    nodes = {i: NodeState(i, i, "table", at(1), at(1)) for i in ("v2", "p", "c", "s")}
    moved = fold_events([ev(2, Operation.RENAME, "v2", counterpart="v")], nodes, [open_row("v2", "s", 1)],
                        [col_row("v2.e", "s.e", 1)])
    assert spans(moved.column_closes) == [("v2.e", "s.e", "identity", at(1), at(2))]
    assert spans(moved.column_creates) == [("v.e", "s.e", "identity", at(2), None)]
    # clone-and-swap: c (a per-column clone of p) swaps with p; p keeps its own upstreams, no self-loop
    swap = fold_events([ev(2, Operation.SWAP, "p", counterpart="c")], nodes,
                       [open_row("p", "s", 1), open_row("c", "p", 1)],
                       [col_row("p.e", "s.e", 1, "expression"), col_row("c.e", "p.e", 1)])
    assert spans(swap.column_creates) == [("c.e", "s.e", "expression", at(2), None)]
    assert spans(swap.column_closes) == [("c.e", "p.e", "identity", at(1), at(2))]
    # p.e <- s.e stays open, re-observed by the swap (as its dataset edge p <- s is)
    assert [(r.downstream, r.upstream, r.transform, r.observations) for r in swap.column_updates] == [
        ("p.e", "s.e", "expression", 2)]


def test_column_replay_is_skipped_like_the_dataset_events() -> None:
    event = cev(2, Operation.REPLACE, "t", ("a.x", "t.x"), replaces=True)
    first = fold_events([event], {}, [])
    nodes = {i: NodeState(i, i, "table", at(2), at(2), last_event_at=at(2), last_event_query_id="q2") for i in "ta"}
    again = fold_events([event], nodes, [open_row("t", "a", 2)], first.column_creates)
    assert len(first.column_creates) == 1
    assert (again.skipped, again.column_creates, again.column_updates, again.column_closes) == (1, (), (), ())


def test_a_replace_that_reads_its_own_target_keeps_the_old_upstreams_and_stores_no_self_loop() -> None:
    # CREATE OR REPLACE TABLE t AS SELECT ... FROM t JOIN d: the new t derives from the old t,
    # so a (the old t's upstream) stays open beside d; nothing is stored from t to t.
    nodes = {i: NodeState(i, i, "table", at(1), at(1)) for i in ("t", "a")}
    plan = fold_events([cev(2, Operation.REPLACE, "t", ("t.x", "t.x"), ("d.y", "t.y"), replaces=True)], nodes,
                       [open_row("t", "a", 1)], [col_row("t.x", "a.x", 1)])
    assert plan.closes == () and plan.column_closes == ()
    assert [(r.downstream, r.upstream, r.valid_from) for r in plan.upserts] == [("t", "d", at(2))]
    assert spans(plan.column_creates) == [("t.y", "d.y", "identity", at(2), None)]
    # the same replace without the self-read closes a (the contrast that makes the rule visible)
    plain = fold_events([cev(2, Operation.REPLACE, "t", ("d.y", "t.y"), replaces=True)], nodes,
                        [open_row("t", "a", 1)], [col_row("t.x", "a.x", 1)])
    assert [r.upstream for r in plain.closes] == ["a"] and [r.upstream for r in plain.column_closes] == ["a.x"]


def test_an_update_with_no_upstream_adds_only_its_column_edge_inside_the_target() -> None:
    nodes = {i: NodeState(i, i, "table", at(1), at(1)) for i in ("t", "a")}
    event = LineageEvent(at(2), "q2", "UPDATE", Operation.UPDATE, DatasetRef("t", "t"), (),
                         columns=(ColumnLineage("t.email", "t.notes"),))
    plan = fold_events([event], nodes, [open_row("t", "a", 1)], [col_row("t.x", "a.x", 1)])
    assert (plan.upserts, plan.closes, plan.column_closes) == ((), (), ())
    assert spans(plan.column_creates) == [("t.notes", "t.email", "identity", at(2), None)]
    assert plan.marks == (("t", at(2), "q2"),)


def test_column_edges_inside_a_dataset_move_with_rename_and_swap() -> None:
    nodes = {i: NodeState(i, i, "table", at(1), at(1)) for i in ("t", "u", "a")}
    stored = [col_row("t.notes", "t.email", 1), col_row("t.email", "a.email", 1)]
    renamed = fold_events([ev(2, Operation.RENAME, "t", counterpart="t2")], nodes, [open_row("t", "a", 1)], stored)
    assert sorted((r.downstream, r.upstream) for r in renamed.column_creates) == [
        ("t2.email", "a.email"), ("t2.notes", "t2.email")]
    swapped_plan = fold_events([ev(2, Operation.SWAP, "t", counterpart="u")], nodes, [open_row("t", "a", 1)], stored)
    assert sorted((r.downstream, r.upstream) for r in swapped_plan.column_creates) == [
        ("u.email", "a.email"), ("u.notes", "u.email")]


def test_truncate_then_reload_keeps_only_the_new_loads_upstreams() -> None:
    nodes = {i: NodeState(i, i, "table", at(1), at(1)) for i in ("t", "a")}
    truncate = LineageEvent(at(2), "q2", "TRUNCATE_TABLE", Operation.TRUNCATE, DatasetRef("t", "t"), (), True)
    plan = fold_events([truncate, cev(3, Operation.INSERT, "t", ("b.x", "t.x"))], nodes,
                       [open_row("t", "a", 1)], [col_row("t.x", "a.x", 1)])
    assert [(r.upstream, r.valid_to) for r in plan.closes] == [("a", at(2))]
    assert [(r.upstream, r.valid_to) for r in plan.column_closes] == [("a.x", at(2))]
    assert [(r.upstream, r.valid_from) for r in plan.upserts] == [("b", at(3))]


def test_a_truncate_of_a_dropped_table_does_not_bring_it_back() -> None:
    nodes = {"t": NodeState("t", "t", "table", at(1), at(1))}
    truncate = LineageEvent(at(2), "q2", "TRUNCATE_TABLE", Operation.TRUNCATE, DatasetRef("t", "t"), (), True)
    plan = fold_events([ev(1.5, Operation.DROP, "t"), truncate], nodes, [])
    assert plan.drops == (("t", at(1.5)),) and plan.revived == ()


def test_a_late_add_before_an_interval_of_its_edge_starts_that_interval_earlier() -> None:
    nodes = {"t": NodeState("t", "t", "table", at(1), at(4), last_event_at=at(4), last_event_query_id="q4")}
    stored = [open_row("t", "p", 4)]
    plan = fold_events([ev(2, Operation.INSERT, "t", "p")], nodes, [], history=stored)
    assert [(r.valid_from, stored_from, r.observations) for r, stored_from in plan.moved_back] == [(at(2), at(4), 2)]
    assert spans(plan.upserts) == [("t", "p", "", at(2), None)] and plan.closes == ()
    moved = plan.moved_back[0][0]
    replay = fold_events([ev(2, Operation.INSERT, "t", "p")], nodes, [], history=[moved])
    assert (replay.upserts, replay.moved_back, replay.skipped) == ((), (), 1)


def test_a_late_swap_exchanges_what_each_side_held_at_its_instant() -> None:
    nodes = {"a": NodeState("a", "a", "table", at(1), at(1), last_event_at=at(1), last_event_query_id="q1"),
             "b": NodeState("b", "b", "table", at(1), at(4), last_event_at=at(4), last_event_query_id="q4")}
    stored = [open_row("a", "p", 1), open_row("b", "q", 1), open_row("b", "r", 4)]
    events = [ev(2, Operation.SWAP, "a", counterpart="b")]
    assert timeline.late_datasets(events, nodes) == ("a", "b")
    plan = fold_events(events, nodes, [], history=stored)
    assert sorted(spans(plan.upserts)) == [("a", "q", "", at(2), None), ("b", "p", "", at(2), None)]
    assert sorted(spans(plan.closes)) == [("a", "p", "", at(1), at(2)), ("b", "q", "", at(1), at(2))]
    assert (plan.report.events_late, plan.report.events_inexact) == (1, 0)
    assert plan.marks == (("a", at(2), "q2"),)  # b keeps its later position
    after = [replace(open_row("a", "p", 1), valid_to=at(2)), open_row("a", "q", 2),
             replace(open_row("b", "q", 1), valid_to=at(2)), open_row("b", "p", 2), open_row("b", "r", 4)]
    replay = fold_events(events, {**nodes, "a": replace(nodes["a"], last_event_at=at(2), last_event_query_id="q2")},
                         [], history=after, resets={i: [timeline.encode_position((at(2), "q2"))] for i in "ab"})
    assert (replay.upserts, replay.closes, replay.skipped) == ((), (), 1)
