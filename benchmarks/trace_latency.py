"""Time every shipped walking trace on a crawled graph: p50 / p95, as ``lineage-engine trace`` answers them.

For each of ``downstream_of``, ``upstream_of``, ``exposure_for_dataset``, ``unmasked_pii_paths``
and ``column_upstream_of`` (issue 13 §5: each answered by frontier reads, bounded by its answer,
:mod:`lineage_engine.walk_traces`), SAMPLES random starts are drawn from the graph (datasets, or
columns with column lineage), each answered in-process as of now, and the latency percentiles,
the rows returned and the peak RSS are printed. ``--cypher`` times the traces' Cypher text
instead (what ``lineage-engine trace`` ran before; a run that fails, e.g. out of the graph's
buffer pool, is counted and left out of the percentiles). CLI start-up is not included.

    python benchmarks/trace_latency.py --config CRAWLED.config.yaml [--samples 100] [--cypher] [--trace NAME ...]
    python benchmarks/trace_latency.py --graph PATH.lbug ...     # an embedded graph file, read-only

Not a timed test: run it on a quiet machine, one benchmark at a time.
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lineage_engine.errors import GraphError  # noqa: E402
from lineage_engine.graph.store import GraphStore, open_graph_store  # noqa: E402
from lineage_engine.model import SavedTrace  # noqa: E402
from lineage_engine.traces import load_trace  # noqa: E402
from lineage_engine.walk_traces import run_walk_trace  # noqa: E402

TRACES = ("downstream_of", "upstream_of", "exposure_for_dataset", "unmasked_pii_paths", "column_upstream_of")
_DATASETS = SavedTrace(name="_ids", text="MATCH (d:Dataset)-[:DERIVES_FROM]-(:Dataset) RETURN DISTINCT d.id AS id")
_COLUMNS = SavedTrace(name="_cols", text="MATCH (c:`Column`)-[:DERIVES_FROM]->(:`Column`) RETURN DISTINCT c.id AS id")


def peak_rss_mb() -> float:
    """Peak resident set size of this process in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def params_for(name: str, start: str, as_of: datetime) -> dict[str, object]:
    if name == "unmasked_pii_paths":
        return {"origins": [start], "as_of": as_of}
    if name == "column_upstream_of":
        return {"column_id": start, "as_of": as_of}
    return {"dataset": start, "as_of": as_of}


def time_traces(store: GraphStore, names: list[str], samples: int, cypher: bool, seed: int = 5) -> None:
    rng = random.Random(seed)
    datasets = sorted(str(r["id"]) for r in store.run_trace(_DATASETS, {}))
    columns = sorted(str(r["id"]) for r in store.run_trace(_COLUMNS, {}))
    as_of = datetime.now(UTC)
    how = "Cypher" if cypher else "as 'lineage-engine trace' answers it"
    print(f"{len(datasets):,} datasets with lineage, {len(columns):,} columns with column lineage; {how}", flush=True)
    for name in names:
        pool = columns if name == "column_upstream_of" else datasets
        if not pool:
            print(f"trace {name}: nothing to sample", flush=True)
            continue
        trace = load_trace(name)
        times: list[float] = []
        rows = failed = 0
        for start in rng.sample(pool, min(samples, len(pool))):
            params = params_for(name, start, as_of)
            began = time.perf_counter()
            try:
                answer = store.run_trace(trace, params) if cypher else \
                    run_walk_trace(store, trace, params, lambda _at: [])
            except GraphError as err:
                failed += 1
                print(f"  {name} {start}: failed: {str(err)[:160]}", flush=True)
                continue
            times.append(time.perf_counter() - began)
            rows += len(answer)
        if not times:
            print(f"trace {name} ({how}): every run failed ({failed})", flush=True)
            continue
        print(f"trace {name} ({how}): {len(times)} starts, p50 {statistics.median(times) * 1000:.1f} ms, "
              f"p95 {percentile(times, 0.95) * 1000:.1f} ms, max {max(times) * 1000:.1f} ms, "
              f"{rows / len(times):.1f} rows per answer, {failed} failed, peak RSS {peak_rss_mb():.0f} MiB", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--config", type=Path, help="a crawled installation's config (its graph, read-only)")
    where.add_argument("--graph", type=Path, help="an embedded graph file, read-only")
    parser.add_argument("--samples", type=int, default=100)
    parser.add_argument("--cypher", action="store_true", help="time the traces' Cypher text instead")
    parser.add_argument("--trace", action="append", choices=TRACES, help="only this trace (repeatable)")
    args = parser.parse_args()
    if args.config:
        from lineage_engine import services
        from lineage_engine.settings import load_settings

        with services.graph_store(load_settings(args.config), read_only=True) as store:
            time_traces(store, args.trace or list(TRACES), args.samples, args.cypher)
    else:
        store = open_graph_store("embedded", path=args.graph, read_only=True)
        try:
            time_traces(store, args.trace or list(TRACES), args.samples, args.cypher)
        finally:
            store.close()


if __name__ == "__main__":
    main()
