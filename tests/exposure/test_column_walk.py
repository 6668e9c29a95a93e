"""The column-level walk (exposure/column_walk.py): masked edges, table-level fallback, time."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from lineage_engine.exposure.column_walk import (
    build_column_index,
    find_column_holdings,
    unknown_parts,
    walk_column_origin,
)
from lineage_engine.model import EdgeRow

T0 = datetime(2024, 3, 1, tzinfo=timezone.utc)
NOW = T0 + timedelta(days=30)


def at(hour: float) -> datetime:
    return T0 + timedelta(hours=hour)


def edge(down: str, up: str, start: float, end: float | None = None, *, transform: str = "", kind: str = "",
         query_type: str = "CREATE_TABLE_AS_SELECT") -> EdgeRow:
    return EdgeRow(down, up, at(start), at(end) if end is not None else None, at(start), at(start), 1,
                   f"q-{down}-{start}", query_type, transform=transform, kind=kind)


def col(down: str, up: str, start: float, end: float | None = None, transform: str = "identity",
        kind: str = "DIRECT") -> EdgeRow:
    return edge(down, up, start, end, transform=transform, kind=kind)


def found(datasets, columns, origin="d.s.o.e", **options) -> list[tuple[str, str, tuple[str, ...], int]]:
    """(terminal, level, path, columns) of everything holding ``origin``'s value at NOW."""
    return [(h.terminal, h.level, h.path, h.columns)
            for h in find_column_holdings(datasets, columns, [origin], as_of=NOW, **options)]


def test_a_masked_edge_closes_the_path_and_indirect_edges_carry_nothing():
    datasets = [edge("d.s.t", "d.s.o", 1), edge("d.s.p", "d.s.t", 2), edge("d.s.q", "d.s.p", 3)]
    columns = [col("d.s.t.e", "d.s.o.e", 1), col("d.s.p.h", "d.s.t.e", 2, transform="masked"),
               col("d.s.p.k", "d.s.t.e", 2, transform="expression", kind="INDIRECT"), col("d.s.q.h", "d.s.p.h", 3)]
    assert found(datasets, columns) == [("d.s.t.e", "column", ("d.s.t.e", "d.s.o.e"), 2)]


def test_a_hop_without_column_lineage_falls_back_to_table_level_and_stays_there():
    datasets = [edge("d.s.t", "d.s.o", 1), edge("@d.s.stage", "d.s.t", 2, query_type="UNLOAD"),
                edge("d.s.w", "@d.s.stage", 3)]
    columns = [col("d.s.t.e", "d.s.o.e", 1), col("d.s.w.x", "@d.s.stage.x", 3, transform="masked")]
    assert found(datasets, columns) == [
        ("d.s.t.e", "column", ("d.s.t.e", "d.s.o.e"), 2),
        ("@d.s.stage", "table", ("@d.s.stage", "d.s.t.e", "d.s.o.e"), 2),
        ("d.s.w", "table", ("d.s.w", "@d.s.stage", "d.s.t.e", "d.s.o.e"), 2),  # table level: masking unseen
    ]


def test_a_known_hop_that_does_not_carry_the_column_reaches_nothing():
    datasets = [edge("d.s.t", "d.s.o", 1)]
    assert found(datasets, [col("d.s.t.country", "d.s.o.country", 1)]) == []


def test_column_level_wins_over_a_table_level_route_to_the_same_dataset():
    datasets = [edge("d.s.t", "d.s.o", 1), edge("d.s.u", "d.s.o", 1), edge("d.s.t", "d.s.u", 2)]
    columns = [col("d.s.t.e", "d.s.o.e", 1), col("d.s.u.e", "d.s.o.e", 1)]  # t <- u has no column lineage
    assert [(t, level) for t, level, _, _ in found(datasets, columns)] == [("d.s.t.e", "column"), ("d.s.u.e", "column")]
    alone = [edge("d.s.t", "d.s.o", 1), edge("d.s.u", "d.s.o", 1), edge("d.s.t", "d.s.u", 2)]
    assert ("d.s.t", "table") in [(t, level) for t, level, _, _ in found(alone, [col("d.s.u.e", "d.s.o.e", 1)])]


def test_star_edges_stand_for_every_column():
    datasets = [edge("d.s.t", "d.s.o", 1), edge("d.s.agg", "d.s.t", 2)]
    columns = [col("d.s.t.*", "d.s.o.*", 1), col("d.s.agg.n", "d.s.t.*", 2, transform="aggregation")]
    assert [t for t, *_ in found(datasets, columns)] == ["d.s.agg.n", "d.s.t.e"]


def test_time_a_copy_after_the_upstream_was_replaced_holds_nothing_a_copy_before_still_holds():
    datasets = [edge("d.s.a", "d.s.o", 1, 2), edge("d.s.a", "d.s.x", 2), edge("d.s.b", "d.s.a", 3),
                edge("d.s.tmp", "d.s.o", 1, 4), edge("d.s.c", "d.s.tmp", 2)]
    columns = [col("d.s.a.e", "d.s.o.e", 1, 2), col("d.s.a.e", "d.s.x.e", 2), col("d.s.b.e", "d.s.a.e", 3),
               col("d.s.tmp.e", "d.s.o.e", 1, 4), col("d.s.c.e", "d.s.tmp.e", 2)]
    assert [t for t, *_ in found(datasets, columns)] == ["d.s.c.e"]  # tmp dropped at 4: c copied it at 2


def test_column_knowledge_is_per_interval_in_time():
    # column lineage known while t <- o was first derived, unknown after it was re-derived at 3
    datasets = [edge("d.s.t", "d.s.o", 1, 2), edge("d.s.t", "d.s.o", 3)]
    columns = [col("d.s.t.e", "d.s.o.e", 1, 2)]
    assert found(datasets, columns) == [("d.s.t", "table", ("d.s.t", "d.s.o.e"), 1)]
    index = build_column_index(datasets, columns, as_of=NOW)
    assert index.unknown.intervals == 1 and index.tables.intervals == 2


def test_a_rederivation_without_column_lineage_makes_the_rest_of_a_coalesced_interval_unknown():
    # CTAS at 1 (columns understood), the same CTAS at 3 parsed only at table level: the dataset
    # interval stays open (re-derived), its column edges close at 3
    datasets = [EdgeRow("d.s.t", "d.s.o", at(1), None, at(1), at(3), 2, "q3", "CREATE_TABLE_AS_SELECT")]
    columns = [col("d.s.t.e", "d.s.o.e", 1, 3)]
    assert found(datasets, columns) == [("d.s.t", "table", ("d.s.t", "d.s.o.e"), 1)]


def test_unknown_parts_are_the_uncovered_parts_of_an_interval():
    row = EdgeRow("d.s.t", "d.s.o", at(1), at(10), at(1), at(9), 5, "q", "RENAME_TABLE")
    parts = unknown_parts(row, [(at(3), at(4)), (at(2), at(5)), (at(6), None)])
    assert [(p.valid_from, p.valid_to, p.last_seen, p.query_type) for p in parts] == [
        (at(1), at(10), at(2), "RENAME_TABLE"),  # before the first column edge: derivations up to 2
        (at(5), at(10), at(6), ""),
    ]
    assert unknown_parts(row, [(at(1), None)]) == []
    assert [p.valid_from for p in unknown_parts(row, [])] == [at(1)]
    stale = EdgeRow("d.s.t", "d.s.o", at(1), None, at(1), at(2), 1, "q", "INSERT")
    assert unknown_parts(stale, [(at(1), at(3))]) == []  # nothing derived after the columns closed


def test_masking_policies_on_columns_and_datasets_stop_the_walk():
    datasets = [edge("d.s.m", "d.s.o", 1), edge("d.s.n", "d.s.m", 2), edge("d.s.k", "d.s.o", 1),
                edge("d.s.j", "d.s.k", 2)]
    columns = [col("d.s.m.e", "d.s.o.e", 1), col("d.s.n.e", "d.s.m.e", 2), col("d.s.k.e", "d.s.o.e", 1),
               col("d.s.j.e", "d.s.k.e", 2)]
    got = found(datasets, columns, masked_columns={"d.s.m.e"}.__contains__, masked_datasets={"d.s.k"}.__contains__)
    assert got == []
    assert [t for t, *_ in found(datasets, columns, masked_columns={"d.s.m.e"}.__contains__)] == ["d.s.j.e", "d.s.k.e"]


def test_views_are_live_for_their_columns_too():
    # v.e was defined over t.e at 1; t.e has carried o.e only since 2
    datasets = [edge("d.s.v", "d.s.t", 1), edge("d.s.t", "d.s.o", 2)]
    columns = [col("d.s.v.e", "d.s.t.e", 1), col("d.s.t.e", "d.s.o.e", 2)]
    assert [t for t, *_ in found(datasets, columns)] == ["d.s.t.e"]  # a table copied at 1 holds no e
    assert [t for t, *_ in found(datasets, columns, live={"d.s.v"})] == ["d.s.t.e", "d.s.v.e"]  # a view shows it


def test_max_hops_must_be_positive():
    index = build_column_index([], [], as_of=NOW)
    with pytest.raises(ValueError, match="max_hops"):
        walk_column_origin(index, "d.s.o.e", max_hops=0)


def exposures(datasets, columns, origin="d.s.o.e") -> list[tuple[str, str, tuple[str, ...]]]:
    """(terminal, exposure, path) of everything holding ``origin``'s value at NOW."""
    return [(h.terminal, h.exposure, h.path)
            for h in find_column_holdings(datasets, columns, [origin], as_of=NOW)]


def test_an_unmasking_edge_reopens_a_path_that_masking_closed():
    datasets = [edge("d.s.t", "d.s.o", 1), edge("d.s.u", "d.s.t", 2), edge("d.s.v", "d.s.u", 3)]
    columns = [col("d.s.t.tok", "d.s.o.e", 1, transform="masked"), col("d.s.u.tok", "d.s.t.tok", 2),
               col("d.s.u.e", "d.s.t.tok", 2, transform="unmasked"), col("d.s.v.e", "d.s.u.e", 3, transform="expression")]
    assert exposures(datasets, columns) == [
        ("d.s.u.e", "full", ("d.s.u.e", "d.s.t.tok", "d.s.o.e")),
        ("d.s.v.e", "full", ("d.s.v.e", "d.s.u.e", "d.s.t.tok", "d.s.o.e")),
    ]  # d.s.t.tok and d.s.u.tok hold tokens: walked on, never reported


def test_a_fragment_is_a_partial_exposure_and_a_count_carries_nothing():
    datasets = [edge("d.s.t", "d.s.o", 1), edge("d.s.u", "d.s.t", 2)]
    columns = [col("d.s.t.last4", "d.s.o.e", 1, transform="partial"), col("d.s.t.n", "d.s.o.e", 1, transform="counted"),
               col("d.s.t.e", "d.s.o.e", 1), col("d.s.u.last4", "d.s.t.last4", 2, transform="identity"),
               col("d.s.u.mix", "d.s.t.last4", 2), col("d.s.u.mix", "d.s.t.e", 2, transform="expression"),
               col("d.s.u.h", "d.s.t.last4", 2, transform="masked")]
    assert [(t, e) for t, e, _ in exposures(datasets, columns)] == [
        ("d.s.t.e", "full"), ("d.s.t.last4", "partial"), ("d.s.u.last4", "partial"),
        ("d.s.u.mix", "full"),  # full wins where a full and a partial route meet
    ]


def test_an_unmasked_fragment_is_reported_in_full():
    datasets = [edge("d.s.t", "d.s.o", 1), edge("d.s.u", "d.s.t", 2)]
    columns = [col("d.s.t.p", "d.s.o.e", 1, transform="partial"), col("d.s.u.p", "d.s.t.p", 2, transform="unmasked")]
    assert [(t, e) for t, e, _ in exposures(datasets, columns)] == [("d.s.t.p", "partial"), ("d.s.u.p", "full")]
