"""The pure fold (graph/timeline.py): plans computed from events and stored state, no engine."""

from __future__ import annotations

import ast
from datetime import UTC, datetime, timedelta
from pathlib import Path

from lineage_engine.graph import timeline
from lineage_engine.graph.timeline import NodeState, Reads, _swapped, fold_events, namespace_of, reads_for
from lineage_engine.model import DatasetRef, EdgeRow, LineageEvent, MergeReport, Operation

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


def test_timeline_imports_only_the_stdlib_and_model() -> None:
    tree = ast.parse(Path(timeline.__file__).read_text())
    modules = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    modules |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert modules <= {"__future__", "dataclasses", "datetime", "lineage_engine.model"}


def test_reads_and_namespace() -> None:
    events = [ev(1, Operation.INSERT, "d.s.t", "d.s.a", "d.s.t"), ev(1, Operation.INSERT, "d.s.x", "d.s.a"),
              ev(2, Operation.SWAP, "d.s.x", counterpart="d.s.y")]
    assert reads_for(events) == Reads(named=("d.s.a", "d.s.t", "d.s.x", "d.s.y"), full=("d.s.x", "d.s.y"),
                                      pairs=(("d.s.t", "d.s.a"),))
    assert namespace_of("@prod_db.raw.landing") == "prod_db"
    assert namespace_of("prod_db.raw.customers") == "prod_db"


def test_swap_replaces_the_other_side_by_its_upstreams() -> None:
    prod, clone = {"src": ()}, {"prod": (), "staging": ("tmp",)}
    assert _swapped(clone, prod, "prod") == {"staging": ("tmp",), "src": ()}
    assert _swapped(prod, clone, "clone") == {"src": ()}


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
    replay = fold_events([ev(2, Operation.REPLACE, "t", "a", replaces=True)],
                         {i: NodeState(i, i, "table", at(1), at(2), last_event_at=at(2), last_event_query_id="q2")
                          for i in ("t", "a")}, [])
    assert (replay.nodes, replay.upserts, replay.skipped) == ((), (), 1)  # nothing left to write


def test_events_at_or_before_the_targets_mark_are_skipped() -> None:
    nodes = {"t": NodeState("t", "t", "table", at(1), at(3), last_event_at=at(3), last_event_query_id="q3")}
    events = [ev(2, Operation.REPLACE, "t", "x", replaces=True), ev(3, Operation.DROP, "t", query_id="q3"),
              ev(3, Operation.INSERT, "t", "y", query_id="q4")]
    plan = fold_events(events, nodes, [open_row("t", "a", 1)])
    assert plan.skipped == 2
    assert [r.upstream for r in plan.upserts] == ["y"] and plan.closes == ()


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
