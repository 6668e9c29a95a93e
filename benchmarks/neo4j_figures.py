"""Figures of the Neo4j backend next to the embedded graph, on the same data in one run (issue 12).

Builds one synthetic temporal lineage history: DATASETS datasets in LAYERS layers (raw ->
... -> reports), every dataset of a layer rebuilt STEPS times by a REPLACE reading
datasets of the layer before (1-4), the sources changing between rebuilds, so each rebuild closes
intervals and opens new ones (about 100,000 dataset edge intervals at the defaults). Then,
for each backend (the embedded LadybugDB file, and the Neo4j server named by NEO4J_URI /
NEO4J_AUTH, e.g. the test server of ``eval "$(bash .ci/neo4j.sh)"``; its database is
EMPTIED first):

- merge: ``apply_events`` in batches of BATCH events (as a crawl commits them): edge
  intervals stored per second, first merge and replay (the replay changes nothing);
- scan: one full exposure scan's graph part (``scan.load_lineage``: the views and every edge
  interval read; ``scan.walk_tables``: the time-respecting walk from ORIGINS raw datasets);
- traces: p50 / p95 seconds of the saved ``downstream_of``, ``upstream_of``,
  ``exposure_for_dataset`` and ``unmasked_pii_paths`` traces over SAMPLES datasets each (raw
  datasets downstream, report datasets upstream), as of the end, answered as ``lineage-engine
  trace`` answers them (``--cypher``: their Cypher text). (No column lineage here:
  ``column_upstream_of`` is timed by ``benchmarks/trace_latency.py`` on a crawled graph.)

It prints each figure per backend and the ratio embedded / Neo4j (for rates: above 1 means
the embedded graph is faster; for seconds: below 1 means the embedded graph is faster).

    eval "$(LINEAGE_NEO4J_DIR=/tmp/neo4j-figures bash .ci/neo4j.sh)"   # a server of its own
    python benchmarks/neo4j_figures.py [--datasets 20000] [--steps 3] [--batch 1000] [--samples 100]

Not a timed test: run it on a quiet machine. Neo4j's figures include the Bolt round trips.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lineage_engine import scan  # noqa: E402
from lineage_engine.graph.store import GraphStore, open_graph_store  # noqa: E402
from lineage_engine.model import DatasetRef, LineageEvent, Operation  # noqa: E402
from lineage_engine.traces import load_trace  # noqa: E402
from lineage_engine.walk_traces import answered_by_walk, run_walk_trace  # noqa: E402

T0 = datetime(2024, 1, 1, tzinfo=UTC)
LAYERS = 4


def history(datasets: int, steps: int, seed: int = 12) -> list[LineageEvent]:
    """REPLACE events in time order: ``steps`` rebuilds of every non-raw dataset."""
    rng = random.Random(seed)
    width = datasets // LAYERS
    ids = [[f"db.l{layer}.t{i:05d}" for i in range(width)] for layer in range(LAYERS)]
    events: list[LineageEvent] = []
    n = 0
    for step in range(steps):
        for layer in range(1, LAYERS):
            for target in ids[layer]:
                sources = rng.sample(ids[layer - 1], rng.randint(1, 4))
                n += 1
                events.append(LineageEvent(
                    T0 + timedelta(hours=step, microseconds=n), f"q{n:08d}", "CREATE_TABLE_AS_SELECT",
                    Operation.REPLACE, DatasetRef(target, target.upper()),
                    tuple(DatasetRef(s, s.upper()) for s in sources), replaces=True))
    return events


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def timed(work: Callable[[], object]) -> tuple[float, object]:
    started = time.perf_counter()
    result = work()
    return time.perf_counter() - started, result


def measure(store: GraphStore, events: list[LineageEvent], args: argparse.Namespace) -> dict[str, float]:
    figures: dict[str, float] = {}
    for label in ("first merge", "replay"):
        def merge() -> int:
            created = 0
            for start in range(0, len(events), args.batch):
                created += store.apply_events(events[start:start + args.batch]).edges_created
            return created
        seconds, _ = timed(merge)
        print(f"  {store.backend}: {label} {seconds:.1f} s", file=sys.stderr, flush=True)
        intervals = store.counts().dataset_edges
        figures[f"{label} (edge intervals/s)"] = intervals / seconds
    figures["edge intervals stored"] = float(store.counts().dataset_edges)
    figures["datasets stored"] = float(store.counts().datasets)

    width = args.datasets // LAYERS
    end = T0 + timedelta(hours=args.steps + 1)
    origins = [f"db.l0.t{i:05d}" for i in range(0, width, max(1, width // args.origins))][: args.origins]
    seconds, rows = timed(lambda: scan.walk_tables(scan.load_lineage(store, columns=False), origins, as_of=end,
                                                  max_hops=10))
    figures["full exposure scan (s)"] = seconds
    figures["exposure scan rows"] = float(len(rows))  # type: ignore[arg-type]

    rng = random.Random(5)
    for name, layer in (("downstream_of", 0), ("upstream_of", LAYERS - 1), ("exposure_for_dataset", LAYERS - 1),
                        ("unmasked_pii_paths", 0)):
        if args.traces and name not in args.traces.split(","):
            continue
        trace = load_trace(name)
        samples = [f"db.l{layer}.t{rng.randrange(width):05d}" for _ in range(args.samples)]
        def answer(d: str, trace=trace) -> object:  # as 'lineage-engine trace' answers it (walk_traces.py)
            params: dict[str, object] = {"origins": [d]} if trace.name == "unmasked_pii_paths" else {"dataset": d}
            params["as_of"] = end
            if args.cypher or not answered_by_walk(trace.name):
                return store.run_trace(trace, params)
            return run_walk_trace(store, trace, params, lambda _at: [])
        times = [timed(lambda d=d: answer(d))[0] for d in samples]
        print(f"  {store.backend}: {name} x{len(times)} {sum(times):.1f} s", file=sys.stderr, flush=True)
        figures[f"{name} p50 (s)"] = statistics.median(times)
        figures[f"{name} p95 (s)"] = percentile(times, 0.95)
    return figures


def empty_neo4j(uri: str) -> None:
    """Delete every node and relationship of the Neo4j database (in chunks, auto-commit)."""
    import neo4j

    from lineage_engine.graph.neo4j import parse_credentials

    creds = parse_credentials(os.environ.get("NEO4J_AUTH") or "none")
    auth = None if creds is None else (creds.user, creds.password)
    with neo4j.GraphDatabase.driver(uri, auth=auth, notifications_min_severity="OFF") as driver, \
            driver.session(database=os.environ.get("NEO4J_DATABASE") or None) as session:
        session.run("MATCH (n) CALL { WITH n DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS").consume()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", type=int, default=20_000)
    parser.add_argument("--steps", type=int, default=3, help="rebuilds of every dataset (intervals per dataset)")
    parser.add_argument("--batch", type=int, default=1_000, help="events per apply_events call (a crawl batch)")
    parser.add_argument("--samples", type=int, default=100, help="trace runs per trace for p50/p95")
    parser.add_argument("--origins", type=int, default=20, help="restricted raw datasets the scan walks from")
    parser.add_argument("--cypher", action="store_true", help="time the traces' Cypher text, not the product's answer")
    parser.add_argument("--traces", default="", help="comma-separated trace names to time (default: all four)")
    parser.add_argument("--backend", choices=("both", "embedded", "neo4j"), default="both",
                        help="one backend only (two processes on two cores; compare the printed figures)")
    args = parser.parse_args()
    uri = os.environ.get("NEO4J_URI")
    if not uri and args.backend != "embedded":
        sys.exit('neo4j_figures.py: set NEO4J_URI (and NEO4J_AUTH), e.g. eval "$(bash .ci/neo4j.sh)"')
    events = history(args.datasets, args.steps)
    print(f"history: {len(events):,} REPLACE events over {args.datasets:,} datasets in {LAYERS} layers, "
          f"{args.steps} rebuilds each; batches of {args.batch:,} events")
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="neo4j-figures-") as folder:
        backends: dict[str, Callable[[], GraphStore]] = {
            "embedded": lambda: open_graph_store("embedded", path=Path(folder) / "graph.lbug"),
            "neo4j": lambda: open_graph_store("neo4j", uri=uri, credentials=os.environ.get("NEO4J_AUTH") or "none",
                                              database=os.environ.get("NEO4J_DATABASE") or None),
        }
        for name, opener in backends.items():
            if args.backend not in ("both", name):
                continue
            store = opener()
            try:
                if name == "neo4j":
                    empty_neo4j(uri)
                results[name] = measure(store, events, args)
            finally:
                store.close()
            print(f"{name} done", file=sys.stderr)
    names = list(results)
    print(f"{'figure':38s} " + " ".join(f"{n:>14s}" for n in names) + (f" {'embedded/neo4j':>15s}" if len(names) == 2 else ""))
    for key in results[names[0]]:
        values = [results[n][key] for n in names]
        line = f"{key:38s} " + " ".join(f"{v:14,.3f}" for v in values)
        if len(values) == 2:
            line += f" {values[0] / values[1]:15.2f}" if values[1] else f" {'-':>15s}"
        print(line)


if __name__ == "__main__":
    main()
