"""Measure the exposure scan's time-respecting walk (lineage_engine/exposure/walk.py).

``synthetic`` (default): builds random temporal lineage (DATASETS datasets, EDGES intervals:
mostly downstream-pointing with a few back edges for cycles, a third of the intervals
closed by a replace, some views and some rename-moved intervals), takes the first ORIGINS
datasets as origins and times the scan's dataset walk (``lineage_engine/walk_arrays.py``:
columns, index, one walk per origin as of the end of the history); ``--reference`` also
times the pure-Python reference (:func:`build_edge_index` plus :func:`walk_origin`, what
the scan ran before issue 13 §6) and checks both give the same holdings. ``--graph`` also
bulk-loads the intervals into an embedded graph (in a temporary folder, by a separate
process) and times what ``scan`` does with it: ``load_lineage`` (views and the intervals
read as Arrow columns) and ``walk_tables``, with that process's peak RSS. Each size runs in
its own process so the peak RSS is that size's own.
The saved Cypher trace enumerating the same paths ran out of memory at 500 / 1,600 on
the embedded engine (see ``benchmarks/graph_merge.py paths``).

``graph``: opens an existing embedded graph read-only (for example one crawled from the
solana-models workload with ``lineage-engine --config X crawl``) and times what the scan
does against it: ``iter_edges(None)``, the views read, and the walk from ORIGINS origins
(given with ``--origin``, else the datasets with the most downstream intervals).

    python benchmarks/exposure_walk.py synthetic [--sizes 500:1600,5000:20000] [--origins 50] [--timeless]
        [--reference] [--graph [--keep-graphs DIR] [--no-walk]]
    python benchmarks/exposure_walk.py graph --graph PATH [--origins 10] [--origin ID ...]
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lineage_engine.exposure.walk import build_edge_index, walk_origin  # noqa: E402
from lineage_engine.model import EdgeRow, SavedTrace  # noqa: E402
from lineage_engine.walk_arrays import WalkEdges, build_array_index, walk_origin_arrays  # noqa: E402

T0 = datetime(2024, 1, 1, tzinfo=UTC)
HOURS = 24 * 90
VIEWS = SavedTrace(name="_views", text="MATCH (d:Dataset) WHERE d.kind = 'view' RETURN d.id AS id ORDER BY id")


def peak_rss_mb() -> float:
    """Peak resident set size of this process in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def synthetic_edges(datasets: int, edges: int, seed: int = 11, *, timeless: bool = False) -> tuple[list[EdgeRow], set[str]]:
    """Return random temporal intervals over ids ``db.s.tNNNNN`` and the ids that are views.

    ``timeless``: every interval opens at the start and stays open (the worst case for the
    walk: everything reachable holds origin data, as in a path-enumerating trace).
    """
    rng = random.Random(seed)
    ids = [f"db.s.t{i:05d}" for i in range(datasets)]
    views = {i for i in ids if rng.random() < 0.1}
    rows: list[EdgeRow] = []
    keys: set[tuple[int, int, int]] = set()
    while len(rows) < edges:
        a, b = rng.sample(range(datasets), 2)
        down, up = (max(a, b), min(a, b)) if rng.random() < 0.95 else (min(a, b), max(a, b))
        start = 0 if timeless else rng.randrange(HOURS)
        if (down, up, start) in keys:
            continue
        keys.add((down, up, start))
        end = start + rng.randrange(1, HOURS // 4) if rng.random() < 0.33 and not timeless else None
        last = rng.randrange(start, min(end or HOURS, HOURS) + 1)
        query_type = "ALTER_TABLE" if rng.random() < 0.05 else "INSERT"
        rows.append(EdgeRow(ids[down], ids[up], T0 + timedelta(hours=start),
                            T0 + timedelta(hours=end) if end is not None else None,
                            T0 + timedelta(hours=start), T0 + timedelta(hours=last), 1, "q", query_type))
    return rows, views


def walk_all(rows: list[EdgeRow], views: set[str], origins: list[str], as_of: datetime,
             max_hops: int) -> tuple[float, float, list]:
    """The reference walk: return (index CPU seconds, walk CPU seconds, holdings) for ``origins``."""
    started = time.process_time()
    index = build_edge_index(rows, as_of=as_of, live=views)
    built = time.process_time()
    holdings = [h for o in origins for h in walk_origin(index, o, max_hops=max_hops)]
    walked = time.process_time()
    return built - started, walked - built, holdings


def walk_arrays(edges: WalkEdges, views: set[str], origins: list[str], as_of: datetime,
                max_hops: int) -> tuple[float, float, list]:
    """The scan's walk: return (index CPU seconds, walk CPU seconds, holdings) for ``origins``."""
    started = time.process_time()
    index = build_array_index(edges, as_of=as_of, live=views)
    stop = index.mask_of(())
    built = time.process_time()
    holdings = [h for o in origins for h in walk_origin_arrays(index, o, masked=stop, max_hops=max_hops)]
    return built - started, time.process_time() - built, holdings


def longest(holdings: list) -> int:
    return max((h.hops for h in holdings), default=0)


def bench_one(datasets: int, edges: int, origins: int, max_hops: int, timeless: bool, reference: bool) -> None:
    rows, views = synthetic_edges(datasets, edges, timeless=timeless)
    ids = sorted({r.upstream for r in rows} | {r.downstream for r in rows})
    label = f"{'timeless' if timeless else 'temporal'} {datasets:>6} datasets {edges:>7} intervals {origins:>3} origins"
    as_of = T0 + timedelta(hours=HOURS)
    started = time.process_time()
    compact = WalkEdges.from_rows(rows)
    columns = time.process_time() - started
    built, walked, held = walk_arrays(compact, views, ids[:origins], as_of, max_hops)
    print(f"{label} (CPU seconds): arrays: columns {columns:6.3f} s, index {built:6.3f} s, walk {walked:6.3f} s "
          f"({walked / origins * 1000:7.1f} ms/origin), {len(held)} holdings, longest path {longest(held)} hops, "
          f"peak RSS {peak_rss_mb():.0f} MiB", flush=True)
    if reference:
        built, walked, expected = walk_all(rows, views, ids[:origins], as_of, max_hops)
        print(f"{label} (CPU seconds): reference: index {built:6.3f} s, walk {walked:6.3f} s "
              f"({walked / origins * 1000:7.1f} ms/origin), {len(expected)} holdings, "
              f"same holdings: {'yes' if expected == held else 'NO'}", flush=True)


def load_graph(datasets: int, edges: int, timeless: bool, path: str) -> None:
    """Bulk-load the synthetic intervals into a new embedded graph at ``path`` (``COPY FROM`` CSV)."""
    import csv

    from lineage_engine.graph.embedded import EmbeddedGraphStore

    rows, views = synthetic_edges(datasets, edges, timeless=timeless)
    ids = sorted({r.upstream for r in rows} | {r.downstream for r in rows})
    stamp = "%Y-%m-%d %H:%M:%S"
    with tempfile.TemporaryDirectory(prefix="exposure-walk-csv-") as folder:
        nodes, intervals = Path(folder) / "datasets.csv", Path(folder) / "intervals.csv"
        with nodes.open("w", newline="") as out:
            csv.writer(out).writerows([i, i, "view" if i in views else "table"] for i in ids)
        with intervals.open("w", newline="") as out:
            csv.writer(out).writerows(
                [r.downstream, r.upstream, r.valid_from.strftime(stamp), r.valid_to.strftime(stamp) if r.valid_to else "",
                 r.first_seen.strftime(stamp), r.last_seen.strftime(stamp), 1, r.last_query_id, r.query_type, "parsed"]
                for r in rows)
        store = EmbeddedGraphStore(path)
        try:
            store.migrate()
            store._conn.execute(f"COPY Dataset(id, name, kind) FROM '{nodes}'")
            store._conn.execute(
                "COPY DERIVES_FROM(valid_from, valid_to, first_seen, last_seen, observations, last_query_id, "
                f"query_type, provenance) FROM '{intervals}' (from='Dataset', to='Dataset')")
        finally:
            store.close()


def scan_graph(path: str, datasets: int, edges: int, origins: int, max_hops: int) -> None:
    """Time the scan's graph part on the loaded graph: load_lineage + walk_tables."""
    from lineage_engine import scan
    from lineage_engine.graph.embedded import EmbeddedGraphStore

    store = EmbeddedGraphStore(path, read_only=True)
    try:
        started, cpu = time.perf_counter(), time.process_time()
        lineage = scan.load_lineage(store, columns=False)
        loaded, loaded_cpu = time.perf_counter(), time.process_time()
    finally:
        store.close()
    assert lineage.walk is not None
    ids = list(lineage.walk.ids)[:origins]
    held = scan.walk_tables(lineage, ids, as_of=T0 + timedelta(hours=HOURS), max_hops=max_hops)
    walked, walked_cpu = time.perf_counter(), time.process_time()
    hops = max((h.hops for h in held), default=0)  # every holding built once (a caller reading them all)
    read, read_cpu = time.perf_counter(), time.process_time()
    print(f"graph {datasets:>6} datasets {edges:>7} intervals {origins:>3} origins: load_lineage {loaded - started:6.3f} s "
          f"({loaded_cpu - cpu:.3f} s CPU), walk_tables {walked - loaded:6.3f} s ({walked_cpu - loaded_cpu:.3f} s CPU), "
          f"scan graph part {walked - started:6.3f} s ({walked_cpu - cpu:.3f} s CPU), {len(held)} holdings "
          f"(columnar; reading every one as a Holding: {read - walked:.3f} s, {read_cpu - walked_cpu:.3f} s CPU, "
          f"longest {hops} hops), peak RSS {peak_rss_mb():.0f} MiB; load average {os.getloadavg()[0]:.1f}", flush=True)


def bench_synthetic(args: argparse.Namespace) -> None:
    for size in args.sizes.split(","):
        datasets, edges = (int(x) for x in size.split(":"))
        if not args.no_walk:
            subprocess.run([sys.executable, __file__, "_one", str(datasets), str(edges), str(args.origins),
                            str(args.max_hops), str(int(args.timeless)), str(int(args.reference))], check=True)
        if args.graph:
            with tempfile.TemporaryDirectory(prefix="exposure-walk-") as folder:
                keep = Path(args.keep_graphs) if args.keep_graphs else Path(folder)
                keep.mkdir(parents=True, exist_ok=True)
                path = str(keep / f"graph-{datasets}-{edges}{'-timeless' if args.timeless else ''}.lbug")
                if not Path(path).exists():
                    started = time.perf_counter()
                    subprocess.run([sys.executable, __file__, "_load", str(datasets), str(edges),
                                    str(int(args.timeless)), path], check=True)
                    print(f"graph {datasets:>6} datasets {edges:>7} intervals: bulk load "
                          f"{time.perf_counter() - started:.1f} s", flush=True)
                subprocess.run([sys.executable, __file__, "_scan", path, str(datasets), str(edges), str(args.origins),
                                str(args.max_hops)], check=True)


def bench_graph(args: argparse.Namespace) -> None:
    from lineage_engine.graph.embedded import EmbeddedGraphStore

    store = EmbeddedGraphStore(Path(args.graph), read_only=True)
    try:
        started = time.perf_counter()
        rows = list(store.iter_edges(None))
        read = time.perf_counter()
        views = {str(r["id"]) for r in store.run_trace(VIEWS, {})}
        viewed = time.perf_counter()
    finally:
        store.close()
    origins = args.origin or [u for u, _ in Counter(r.upstream for r in rows).most_common(args.origins)]
    as_of = max([r.valid_from for r in rows] + [r.valid_to for r in rows if r.valid_to], default=T0)
    as_of += timedelta(seconds=1)
    built, walked, held = walk_arrays(WalkEdges.from_rows(rows), views, origins, as_of, args.max_hops)
    print(f"{len(rows)} intervals ({sum(r.valid_to is None for r in rows)} open), {len(views)} views, "
          f"{len(origins)} origins as of {as_of.isoformat()}")
    print(f"iter_edges(None) {read - started:.3f} s, views {viewed - read:.3f} s, index {built:.3f} s, "
          f"walk {walked:.3f} s; {len(held)} holdings, longest path {longest(held)} hops, "
          f"peak RSS {peak_rss_mb():.0f} MiB")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "_one":
        datasets, edges, origins, max_hops, timeless, reference = (int(x) for x in sys.argv[2:8])
        bench_one(datasets, edges, origins, max_hops, bool(timeless), bool(reference))
        return
    if len(sys.argv) > 1 and sys.argv[1] == "_load":
        load_graph(int(sys.argv[2]), int(sys.argv[3]), bool(int(sys.argv[4])), sys.argv[5])
        return
    if len(sys.argv) > 1 and sys.argv[1] == "_scan":
        scan_graph(sys.argv[2], *(int(x) for x in sys.argv[3:7]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="mode")
    syn = sub.add_parser("synthetic")
    syn.add_argument("--sizes", default="500:1600,5000:20000", help="DATASETS:EDGES,...")
    syn.add_argument("--origins", type=int, default=50)
    syn.add_argument("--max-hops", type=int, default=10)
    syn.add_argument("--timeless", action="store_true", help="every interval open from the start (worst case)")
    syn.add_argument("--reference", action="store_true", help="also time the pure-Python reference walk and compare")
    syn.add_argument("--graph", action="store_true", help="also bulk-load an embedded graph and time the scan's read")
    syn.add_argument("--keep-graphs", help="folder to keep (and reuse) the bulk-loaded graphs in")
    syn.add_argument("--no-walk", action="store_true", help="skip the in-memory timing (with --graph)")
    graph = sub.add_parser("graph")
    graph.add_argument("--graph", required=True, help="embedded graph file (graph.path)")
    graph.add_argument("--origins", type=int, default=10)
    graph.add_argument("--origin", action="append", help="origin dataset id (repeatable)")
    graph.add_argument("--max-hops", type=int, default=10)
    args = parser.parse_args(sys.argv[1:] or ["synthetic"])
    if args.mode is None:
        parser.error("choose a mode: synthetic or graph")
    if args.mode == "graph":
        bench_graph(args)
    else:
        bench_synthetic(args)


if __name__ == "__main__":
    main()
