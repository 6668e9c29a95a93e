"""Paths explained through their tails (first_hops, scan.explain_paths) equal explain_path hop by hop."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from lineage_engine.exposure.explain import IntervalIndex, explain_path, first_hops
from lineage_engine.model import EdgeRow, ExposurePath
from lineage_engine.scan import Lineage, explain_paths

T0 = datetime(2024, 1, 1, tzinfo=UTC)


def graph(rng: random.Random) -> tuple[list[EdgeRow], list[EdgeRow], list[tuple[tuple[str, ...], int]]]:
    tables = [f"db.s.t{i}" for i in range(8)]
    tables_rows, column_rows = [], []
    for _ in range(40):
        d, u = rng.choice(tables), rng.choice(tables)
        start = rng.randrange(10)
        end = start + rng.randrange(1, 4) if rng.random() < 0.4 else None
        row = EdgeRow(d, u, T0 + timedelta(hours=start), None if end is None else T0 + timedelta(hours=end),
                      T0, T0, 1, f"q{rng.randrange(9)}", "INSERT")
        tables_rows.append(row)
        column = rng.choice(["a", "b", "*"])
        column_rows.append(EdgeRow(f"{d}.{column}", f"{u}.{rng.choice(['a', 'b'])}", row.valid_from, row.valid_to,
                                   T0, T0, 1, row.last_query_id, "INSERT", transform=rng.choice(["identity", "expression"]),
                                   kind="DIRECT"))
    paths = []
    for _ in range(30):  # paths that extend each other (a walk's), with columns at the origin end
        length = rng.randrange(2, 7)
        path = [rng.choice(tables) for _ in range(length)]
        columns = rng.randrange(0, length + 1)
        ids = tuple(p if k < length - columns else f"{p}.{rng.choice('ab')}" for k, p in enumerate(path))
        paths.append((ids, columns))
        paths.extend((ids[k:], columns) for k in range(1, length - 1) if rng.random() < 0.5)
    return tables_rows, column_rows, paths


@pytest.mark.parametrize("seed", range(60))
def test_first_hops_of_the_tails_are_the_path_hops(seed):
    rng = random.Random(seed)
    tables, columns, paths = graph(rng)
    index = IntervalIndex(tables, columns)
    as_of = T0 + timedelta(hours=rng.randrange(12))
    firsts = first_hops(paths, index, as_of, {})
    for path, c in paths:
        assert [firsts[(path[k:], c)] for k in range(len(path) - 1)] == explain_path(path, c, index, as_of), path


@pytest.mark.parametrize("seed", range(30))
def test_explanations_equal_those_of_each_path_alone(seed):
    rng = random.Random(seed)
    tables, columns, walked = graph(rng)
    as_of = T0 + timedelta(hours=rng.randrange(12))
    unique = {}
    for ids, c in walked:
        unique.setdefault((ids[-1], ids[0]), (ids, c))
    paths = [ExposurePath(origin=ids[-1], terminal=ids[0], path=ids, hops=len(ids) - 1, regulatory_tags=(),
                          classification="restricted", severity="HIGH", level="column" if c else "table")
             for ids, c in unique.values()]
    counts = {(ids[-1], ids): c for ids, c in unique.values()}
    got = explain_paths(paths, counts, Lineage((), tuple(tables), tuple(columns)), as_of)
    index = IntervalIndex(tables, columns)
    for p in paths:
        hops = explain_path(p.path, counts[(p.origin, p.path)], index, as_of)
        item = got[(p.origin, p.terminal)]
        assert item["hops"] == [{**h.as_dict(), "user": None, "role": None} for h in reversed(hops)]
        first = hops[0] if hops and hops[0].query_id else None
        assert item["opened_by"] == (None if first is None else {
            "query_id": first.query_id, "query_type": first.query_type, "user": None, "role": None,
            "at": first.valid_from.isoformat() if first.valid_from else None})
