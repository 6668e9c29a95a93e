"""The time-respecting downstream walk (exposure/walk.py): what "exposure as of T" means."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from lineage_engine.exposure.paths import find_exposure_paths
from lineage_engine.exposure.walk import build_edge_index, find_holdings, walk_origin
from lineage_engine.model import Asset, EdgeRow

T0 = datetime(2024, 3, 1, tzinfo=timezone.utc)
NOW = T0 + timedelta(days=30)


def at(hour: float) -> datetime:
    return T0 + timedelta(hours=hour)


def edge(down: str, up: str, start: float, end: float | None = None, *, last: float | None = None,
         query_type: str = "CREATE_TABLE_AS_SELECT") -> EdgeRow:
    """An interval ``down DERIVES_FROM up`` valid from hour ``start`` to ``end`` (None: open)."""
    return EdgeRow(down, up, at(start), at(end) if end is not None else None, at(start),
                   at(last if last is not None else start), 1, f"q-{down}-{start}", query_type)


def held(edges, as_of=NOW, origin="o", **options) -> dict[str, tuple[str, ...]]:
    """Dataset -> path of every dataset holding ``origin``'s data at ``as_of``."""
    return {h.dataset: h.path for h in find_holdings(edges, [origin], as_of=as_of, **options)}


# -- the basics ------------------------------------------------------------------------------


def test_chain_reaches_every_downstream_with_terminal_first_paths():
    got = find_holdings([edge("a", "o", 1), edge("b", "a", 2)], ["o"], as_of=NOW)
    assert [(h.origin, h.dataset, h.path, h.hops) for h in got] == [
        ("o", "a", ("a", "o"), 1),
        ("o", "b", ("b", "a", "o"), 2),
    ]
    assert got[1].arrived == at(2)  # b copied a (which held since hour 1) at hour 2
    assert got[1].as_row() == {"origin": "o", "terminal": "b", "hops": 2, "path": ["b", "a", "o"], "arrived": at(2)}


def test_masked_intermediate_closes_the_path_but_an_open_route_survives():
    edges = [edge("m", "o", 1), edge("x", "m", 2)]
    assert held(edges, masked={"m"}) == {}
    edges += [edge("a", "o", 1), edge("b", "a", 2), edge("x", "b", 3)]
    assert held(edges, masked={"m"})["x"] == ("x", "b", "a", "o")
    assert held(edges, masked=lambda i: i == "m")["x"] == ("x", "b", "a", "o")  # predicate form


def test_masked_terminal_is_not_reported_and_masked_origin_is_still_walked():
    assert held([edge("m", "o", 1)], masked={"m"}) == {}
    assert held([edge("x", "o", 1)], masked={"o"}) == {"x": ("x", "o")}


def test_governed_terminal_is_filtered_by_find_exposure_paths():
    origin = Asset("o", classification="confidential", regulatory_tags=("pii",))
    registry = {"o": origin, "vault": Asset("vault", classification="restricted")}
    rows = [h.as_row() for h in find_holdings([edge("vault", "o", 1), edge("x", "o", 1)], ["o"], as_of=NOW)]
    paths = find_exposure_paths(rows, {"o": origin}, registry, risk_thresholds={"pii_exposure": "HIGH"})
    assert [(p.terminal, p.path, p.hops, p.severity) for p in paths] == [("x", ("x", "o"), 1, "HIGH")]


# -- time: the compliance gap the walk exists for ------------------------------------------------


def test_dropped_intermediate_still_exposes_the_downstream_copy():
    # customers -> tmp_copy (h1), export copies tmp_copy (h2), tmp_copy dropped (h3).
    edges = [edge("tmp_copy", "o", 1, 3), edge("export", "tmp_copy", 2)]
    assert held(edges) == {"export": ("export", "tmp_copy", "o")}  # tmp_copy itself holds nothing now


def test_replaced_intermediate_still_exposes_a_copy_made_before_the_replace():
    # mid built from customers (h1), export copies mid (h2), mid replaced from products (h3).
    edges = [edge("mid", "o", 1, 3), edge("mid", "products", 3), edge("export", "mid", 2)]
    assert held(edges) == {"export": ("export", "mid", "o")}


def test_copy_made_only_after_the_intermediate_stopped_deriving_is_not_exposed():
    edges = [edge("mid", "o", 1, 3), edge("mid", "products", 3), edge("export", "mid", 4)]
    assert held(edges) == {}


def test_copy_at_the_instant_of_the_replace_counts():
    # Statement end times: a copy ending when mid was replaced read mid before (documented).
    edges = [edge("mid", "o", 1, 3), edge("mid", "products", 3), edge("export", "mid", 3)]
    assert held(edges) == {"export": ("export", "mid", "o")}


def test_copy_made_before_the_upstream_received_origin_data_is_not_exposed_unless_rederived():
    edges = [edge("mid", "o", 5), edge("export", "mid", 1)]  # export copied mid at h1; mid got PII at h5
    assert held(edges) == {"mid": ("mid", "o")}
    rederived = [edge("mid", "o", 5), edge("export", "mid", 1, last=6)]  # re-derived at h6
    assert held(rederived) == {"mid": ("mid", "o"), "export": ("export", "mid", "o")}


def test_terminal_replaced_without_the_upstream_is_not_exposed_after_the_close():
    edges = [edge("x", "o", 1, 3), edge("x", "products", 3)]
    assert held(edges) == {}
    assert held(edges, as_of=at(2)) == {"x": ("x", "o")}  # as of before the replace it was
    assert held(edges, as_of=at(3)) == {}  # valid_to is exclusive, as in as-of reads


def test_intervals_that_start_after_as_of_are_ignored():
    edges = [edge("a", "o", 5), edge("b", "a", 6)]
    assert held(edges, as_of=at(4)) == {}
    assert held(edges, as_of=at(5)) == {"a": ("a", "o")}
    assert held(edges, as_of=at(6)) == {"a": ("a", "o"), "b": ("b", "a", "o")}


def test_observation_after_as_of_is_assumed_to_have_happened_by_as_of():
    # export copied mid at h1 (before mid held PII) and was last re-derived at h9; only the
    # last observation is stored, so as of h6 a re-derivation between h5 and h6 is assumed.
    edges = [edge("mid", "o", 5), edge("export", "mid", 1, last=9)]
    assert "export" in held(edges, as_of=at(6))
    assert "export" not in held([edge("mid", "o", 5), edge("export", "mid", 1, last=4)], as_of=at(6))


# -- views and identity moves ---------------------------------------------------------------


def test_view_shows_what_its_upstream_holds_now():
    # v created over mid at h1; mid loaded from customers only at h5: the view shows PII.
    edges = [edge("mid", "o", 5), edge("v", "mid", 1, query_type="CREATE_VIEW")]
    assert held(edges, live={"v"})["v"] == ("v", "mid", "o")
    assert "v" not in held(edges)  # as a copy made at h1 it would hold nothing


def test_view_over_a_dropped_table_shows_nothing_but_a_copy_keeps_it():
    edges = [edge("tmp", "o", 1, 3), edge("v", "tmp", 2, query_type="CREATE_VIEW")]
    assert held(edges, live={"v"}) == {}
    assert held(edges) == {"v": ("v", "tmp", "o")}


def test_renamed_copy_keeps_the_derivation_time_of_its_old_name():
    # tmp from customers (h1), a copies tmp (h2), tmp dropped (h3), a renamed to b (h4):
    # the rename opens b <- tmp at h4, after tmp stopped holding anything.
    edges = [edge("tmp", "o", 1, 3), edge("a", "tmp", 2, 4), edge("b", "tmp", 4, query_type="ALTER_TABLE")]
    assert held(edges) == {"b": ("b", "tmp", "o")}
    assert held(edges, move_query_types=()) == {}  # read as a fresh copy at h4 it would be missed
    # an ALTER_TABLE interval whose old name is unknown is treated as derived any time before
    assert held([edge("tmp", "o", 1, 3), edge("b", "tmp", 4, query_type="ALTER_TABLE")]) == {"b": ("b", "tmp", "o")}


def test_rename_of_a_copy_made_after_the_upstream_stopped_is_not_exposed():
    edges = [edge("tmp", "o", 1, 3), edge("a", "tmp", 5, 6), edge("b", "tmp", 6, query_type="ALTER_TABLE")]
    assert held(edges) == {}


# -- graph shapes --------------------------------------------------------------------------


def test_cycles_terminate_and_paths_stay_simple():
    edges = [edge("a", "o", 1), edge("b", "a", 2), edge("a", "b", 3), edge("o", "b", 4), edge("c", "b", 5)]
    assert held(edges) == {"a": ("a", "o"), "b": ("b", "a", "o"), "c": ("c", "b", "a", "o")}


def test_fewest_hops_then_lexicographic_path():
    edges = [edge("z", "o", 1), edge("x", "z", 2), edge("a", "o", 1), edge("x", "a", 2),
             edge("c", "o", 1), edge("d", "c", 2), edge("x", "d", 3)]
    assert held(edges)["x"] == ("x", "a", "o")
    assert held(list(reversed(edges)))["x"] == ("x", "a", "o")  # input order does not matter


def test_path_ends_with_an_interval_that_still_holds():
    # x once copied the origin directly (closed since), and holds it now through a.
    edges = [edge("x", "o", 1, 2), edge("a", "o", 1), edge("x", "a", 3)]
    assert held(edges)["x"] == ("x", "a", "o")


def test_max_hops_bounds_the_walk():
    edges = [edge("a", "o", 1), edge("b", "a", 2), edge("c", "b", 3), edge("d", "c", 4)]
    assert set(held(edges, max_hops=3)) == {"a", "b", "c"}
    assert set(held(edges, max_hops=4)) == {"a", "b", "c", "d"}
    assert set(held(edges)) == {"a", "b", "c", "d"}  # default 10
    with pytest.raises(ValueError, match="max_hops"):
        held(edges, max_hops=0)


def test_several_origins_are_walked_independently_and_sorted():
    edges = [edge("x", "p", 1), edge("y", "o", 1), edge("x", "o", 1)]
    got = [(h.origin, h.dataset) for h in find_holdings(edges, ["p", "o", "o"], as_of=NOW)]
    assert got == [("o", "x"), ("o", "y"), ("p", "x")]


def test_index_is_reusable_and_needs_an_aware_instant():
    index = build_edge_index([edge("a", "o", 1), edge("a", "a", 1), edge("b", "o", 99)], as_of=at(10))
    assert index.intervals == 1  # self-loop and future interval dropped
    assert [h.dataset for h in walk_origin(index, "o")] == ["a"]
    assert walk_origin(index, "unknown") == []
    with pytest.raises(ValueError, match="aware"):
        build_edge_index([], as_of=datetime(2024, 3, 1))
