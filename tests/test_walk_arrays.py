"""The array walk (lineage_engine/walk_arrays.py) answers exactly as the reference walk.

The property the array walk relies on: a node's best path only ever gets smaller during a
walk, so a candidate through the same upstream carries a path smaller or equal to the one
stored, and paths compare by (length, upstream) plus the identity of the upstream's path.
Checked here as what follows from it: identical holdings (datasets, paths, arrivals) to
:func:`lineage_engine.exposure.walk.walk_origin` on random temporal graphs with cycles,
views, identity moves, closed intervals, masked datasets and every hop limit.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from lineage_engine.exposure.walk import build_edge_index, walk_origin
from lineage_engine.model import EdgeRow
from lineage_engine.walk_arrays import WalkEdges, build_array_index, walk_origin_arrays

T0 = datetime(2024, 1, 1, tzinfo=UTC)


def random_graph(rng: random.Random, datasets: int, intervals: int) -> tuple[list[EdgeRow], set[str]]:
    ids = [f"db.s.{rng.choice('abc')}{i:02d}" for i in range(datasets)]
    rows: list[EdgeRow] = []
    seen: set[tuple[str, str, int]] = set()
    hours = 12  # few instants: same-instant closes and moves, ties between routes
    while len(rows) < intervals:
        down, up = rng.choice(ids), rng.choice(ids)  # self-loops and cycles included
        start = rng.randrange(hours)
        if (down, up, start) in seen:
            continue
        seen.add((down, up, start))
        end = start + rng.randrange(0, 4) if rng.random() < 0.4 else None
        last = start + rng.randrange(0, 3)
        query_type = rng.choice(["INSERT", "CREATE_TABLE_AS_SELECT", "ALTER_TABLE", "RENAME_TABLE", "alter_table_swap"])
        rows.append(EdgeRow(down, up, T0 + timedelta(hours=start),
                            None if end is None else T0 + timedelta(hours=end),
                            T0 + timedelta(hours=start), T0 + timedelta(hours=last), 1, "q", query_type))
    views = {i for i in ids if rng.random() < 0.2}
    return rows, views


@pytest.mark.parametrize("seed", range(120))
def test_array_walk_equals_the_reference_walk(seed):
    rng = random.Random(seed)
    rows, views = random_graph(rng, rng.randrange(3, 14), rng.randrange(1, 60))
    as_of = T0 + timedelta(hours=rng.choice([0, 3, 6, 11, 20]), minutes=rng.choice([0, 30]))
    ids = sorted({r.downstream for r in rows} | {r.upstream for r in rows})
    masked = {i for i in ids if rng.random() < 0.15}
    reference = build_edge_index(rows, as_of=as_of, live=views)
    index = build_array_index(WalkEdges.from_rows(rows), as_of=as_of, live=views)
    stop = index.mask_of(masked)
    assert index.intervals == reference.intervals
    for max_hops in (1, 2, 3, 5, 10):
        for origin in [*ids, "db.s.missing"]:
            expected_windows: dict[str, object] = {}
            expected = walk_origin(reference, origin, masked=masked, max_hops=max_hops, windows=expected_windows)
            windows: dict[str, object] = {}
            assert walk_origin_arrays(index, origin, masked=stop, max_hops=max_hops, windows=windows) == expected, \
                (origin, max_hops)
            assert windows == expected_windows, (origin, max_hops)  # every dataset reached: window and path


def test_array_walk_reads_an_open_interval_and_a_missing_last_seen():
    edges = WalkEdges.from_columns(["a", "b"], ["o", "a"], [10, 20], [None, 15], [None, 30], ["INSERT", ""])
    assert edges.ids == ("a", "b", "o")
    assert edges.last_seen.tolist() == [10, 30]
    index = build_array_index(edges, as_of=T0)
    held = walk_origin_arrays(index, "o", max_hops=3)
    assert [(h.dataset, h.path) for h in held] == [("a", ("a", "o"))]  # b's copy closed at 15 (before T0)


def test_max_hops_below_one_is_refused():
    index = build_array_index(WalkEdges.from_columns(["a"], ["o"], [1], [None], [1], [""]), as_of=T0)
    with pytest.raises(ValueError, match="max_hops"):
        walk_origin_arrays(index, "o", max_hops=0)
