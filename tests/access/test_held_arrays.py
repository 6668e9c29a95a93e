"""Dataset holdings by name on arrays (lineage_engine/access/held_arrays.py) equal the reference steps.

The reference: the walk's windows as a dict (``holdings_of_windows``), the intervals into each
held object from a holder (``_intervals_into``, ``_from_holders``) and ``under_their_names``.
Random temporal graphs with cycles, self-loops, views, identity moves and closed intervals
(a name emptied and refilled: gaps), at several instants.
"""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from lineage_engine.access.drift import arrival_keys
from lineage_engine.access.held_arrays import holdings_by_name
from lineage_engine.access.service import _asked_into, _from_holders, _intervals_into
from lineage_engine.access.windows import holdings_of_windows, under_their_names
from lineage_engine.scan import Lineage
from lineage_engine.walk_arrays import WalkEdges, build_array_index, walk_origin_arrays
from tests.test_walk_arrays import T0, random_graph


def reference(rows, views, origins, as_of):
    edges = WalkEdges.from_rows(rows)
    index = build_array_index(edges, as_of=as_of, live=views)
    walked = []
    for origin in origins:
        windows: dict[str, object] = {}
        walk_origin_arrays(index, origin, windows=windows)
        walked.append(holdings_of_windows(origin, windows))
    into = _intervals_into(Lineage(tuple(views), tuple(rows)), as_of, _asked_into(walked))
    return [under_their_names(h, *_from_holders(h, into)) for h in walked]


def case(seed: int) -> tuple[list[object], set[str], object, list[str]]:
    """Return (rows, views, as_of, dataset ids) of random temporal graph ``seed`` (test_walk_arrays' graphs)."""
    rng = random.Random(seed)
    rows, views = random_graph(rng, rng.randrange(3, 14), rng.randrange(1, 60))
    as_of = T0 + timedelta(hours=rng.choice([0, 3, 6, 11, 20]), minutes=rng.choice([0, 30]))
    return rows, views, as_of, sorted({r.downstream for r in rows} | {r.upstream for r in rows})


@pytest.mark.parametrize("seed", range(150))
def test_holdings_by_name_equal_the_reference(seed):
    rows, views, as_of, ids = case(seed)
    origins = [*ids, "db.s.missing"]
    edges = WalkEdges.from_rows(rows)
    index = build_array_index(edges, as_of=as_of, live=views)
    states: list[object] = []
    for origin in origins:
        walk_origin_arrays(index, origin, states=states)
    got = holdings_by_name(edges, states, as_of)
    expected = reference(rows, views, origins, as_of)
    for mine, theirs in zip(got, expected, strict=True):
        assert mine.origin == theirs.origin
        assert list(mine.datasets.items()) == list(theirs.datasets.items()), mine.origin  # order too
        assert mine.columns == theirs.columns == {} and mine.by_dataset == theirs.by_dataset == {}
        assert mine.object_ids() == theirs.object_ids()
        fast = getattr(mine.datasets, "arrival_ids", None)
        if fast is not None:
            assert fast() == [key[2] for key in arrival_keys(theirs)]


def test_some_random_graph_has_gaps():
    """The comparison above meets names that held nothing for a while (not only gap-free windows)."""
    gaps = 0
    for seed in range(150):
        rows, views, as_of, ids = case(seed)
        gaps += sum(1 for h in reference(rows, views, ids, as_of) for held in h.datasets.values() if held.gaps)
    assert gaps > 10
