"""Measure graph merges and trace fan-out on the embedded backend (LadybugDB).

``merge``: merges a synthetic workload of EDGES dataset edges between DATASETS datasets
(every dataset repeats many times, the case that breaks one-statement batch merges) in
batches of BATCH events, checks the exact edge count, replays everything (idempotency:
no change expected), and prints edges/s and peak RSS.

``paths``: builds a layered DAG (NODES datasets in 10 layers, EDGES edges between adjacent
layers, first layer = origins) and times the saved traces that enumerate paths, printing
rows and seconds, so path explosion is visible before it reaches production.

    python benchmarks/graph_merge.py merge [--edges 60000] [--datasets 8000] [--batch 5000]
    python benchmarks/graph_merge.py paths [--nodes 500] [--edges 800] [--origins 3]
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lineage_engine.graph.store import open_graph_store  # noqa: E402
from lineage_engine.model import DatasetRef, LineageEvent, Operation  # noqa: E402
from lineage_engine.traces import coerce_params, load_trace  # noqa: E402

T0 = datetime(2024, 1, 1, tzinfo=UTC)


def synthetic_events(edges: int, datasets: int, seed: int = 7) -> list[LineageEvent]:
    """Return INSERT events, one edge each, in time order; ids ``db.s.tNNNNN``, no self-loops."""
    rng = random.Random(seed)
    ids = [f"db.s.t{i:05d}" for i in range(datasets)]
    pairs: set[tuple[str, str]] = set()
    while len(pairs) < edges:
        downstream, upstream = rng.sample(ids, 2)
        pairs.add((downstream, upstream))
    ordered = sorted(pairs, key=lambda _: rng.random())
    return [
        LineageEvent(T0 + timedelta(milliseconds=i), f"q{i:07d}", "INSERT", Operation.INSERT,
                     DatasetRef(d, d.upper()), (DatasetRef(u, u.upper()),))
        for i, (d, u) in enumerate(ordered)
    ]


def peak_rss_mb() -> float:
    """Peak resident set size of this process in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_merge(args: argparse.Namespace, folder: Path) -> None:
    events = synthetic_events(args.edges, args.datasets)
    store = open_graph_store("embedded", path=folder / "merge.lbug")
    try:
        for label in ("merge", "replay"):
            started = time.perf_counter()
            created = 0
            for start in range(0, len(events), args.batch):
                created += store.apply_events(events[start:start + args.batch]).edges_created
            elapsed = time.perf_counter() - started
            counts = store.counts()
            status = "exact" if counts.dataset_edges == args.edges else f"WRONG ({counts.dataset_edges})"
            print(f"{label:6s}: {args.edges:,} edges in {elapsed:6.2f} s = {args.edges / elapsed:9,.0f} edges/s; "
                  f"created {created:,}; stored {counts.dataset_edges:,} edges ({status}), "
                  f"{counts.datasets:,} datasets; peak RSS {peak_rss_mb():,.0f} MiB")
    finally:
        store.close()


def layered_dag(nodes: int, edges: int, seed: int = 7) -> list[LineageEvent]:
    """Return events building ``edges`` edges between adjacent layers of a 10-layer DAG."""
    rng = random.Random(seed)
    width = nodes // 10
    pairs: set[tuple[int, int]] = set()
    while len(pairs) < edges:
        layer = rng.randrange(1, 10)
        pairs.add((layer * width + rng.randrange(width), (layer - 1) * width + rng.randrange(width)))
    return [
        LineageEvent(T0, f"q{i}", "INSERT", Operation.INSERT, DatasetRef(f"db.s.n{d:04d}", "n"),
                     (DatasetRef(f"db.s.n{u:04d}", "n"),))
        for i, (d, u) in enumerate(sorted(pairs))
    ]


def bench_paths(args: argparse.Namespace, folder: Path) -> None:
    store = open_graph_store("embedded", path=folder / "paths.lbug")
    try:
        events = layered_dag(args.nodes, args.edges)
        store.apply_events(events)
        print(f"layered DAG: {store.counts().datasets} datasets, {store.counts().dataset_edges} edges, 10 layers")
        origins = sorted({e.sources[0].id for e in events})[: args.origins]
        cases = [("unmasked_pii_paths", {"origins": ",".join(origins)}), ("downstream_of", {"dataset": origins[0]}),
                 ("upstream_of", {"dataset": max(e.target.id for e in events)})]
        for name, raw in cases:
            trace = load_trace(name)
            started = time.perf_counter()
            rows = store.run_trace(trace, coerce_params(trace, raw))
            elapsed = time.perf_counter() - started
            distinct = len({(r.get("origin"), r.get("terminal", r.get("dataset"))) for r in rows})
            print(f"{name:20s} {raw}: {len(rows):7,} rows ({distinct:,} distinct targets) in {elapsed:6.2f} s")
        print(f"peak RSS {peak_rss_mb():,.0f} MiB")
    finally:
        store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="mode", required=True)
    merge = sub.add_parser("merge", help="batch merge throughput")
    merge.add_argument("--edges", type=int, default=60_000)
    merge.add_argument("--datasets", type=int, default=8_000)
    merge.add_argument("--batch", type=int, default=5_000, help="events per apply_events call")
    paths = sub.add_parser("paths", help="trace fan-out on a layered DAG")
    paths.add_argument("--nodes", type=int, default=500)
    paths.add_argument("--edges", type=int, default=800)
    paths.add_argument("--origins", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="graph-bench-") as folder:
        (bench_merge if args.mode == "merge" else bench_paths)(args, Path(folder))


if __name__ == "__main__":
    main()
