"""Where a crawl's Python memory grows: tracemalloc snapshots diffed between points of one crawl.

Crawls ``--history`` (fresh embedded graph + SQLite registry, or ``--keep DIR`` to continue a
crawl kept there) through ``services.crawl`` with ``tracemalloc`` on, snapshots at ``--start``
rows and every ``--every`` rows after, and prints for each interval the allocation sites whose
live memory grew most (``--frames`` frames of traceback each), the traced total, the live
objects by type that grew most (``gc``), and the process's RSS. Stops after ``--rows`` rows.
Memory the graph engine allocates in C++ (its buffer pool) is not traced: compare the traced
total with RSS.

    python benchmarks/crawl_memory.py --history /work/bench/h150k_of_1m.jsonl --start 20000 --every 20000 --rows 100000
"""

from __future__ import annotations

import argparse
import gc
import linecache
import logging
import os
import resource
import sys
import tempfile
import threading
import time
import tracemalloc
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from crawl_scale import write_config  # noqa: E402

from lineage_engine import services  # noqa: E402
from lineage_engine.settings import load_settings  # noqa: E402


def rss_mib() -> float:
    """Current resident set size in MiB (``/proc/self/statm``)."""
    with open("/proc/self/statm", encoding="ascii") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def type_counts() -> Counter[str]:
    return Counter(type(o).__name__ for o in gc.get_objects())


def report(old: tracemalloc.Snapshot, new: tracemalloc.Snapshot, top: int, frames: int) -> None:
    filters = [tracemalloc.Filter(False, tracemalloc.__file__), tracemalloc.Filter(False, linecache.__file__)]
    old, new = old.filter_traces(filters), new.filter_traces(filters)
    stats = new.compare_to(old, "traceback" if frames > 1 else "lineno")
    for stat in stats[:top]:
        if stat.size_diff <= 0:
            break
        print(f"  {stat.size_diff / 2**20:+8.2f} MiB ({stat.count_diff:+d} blocks), now {stat.size / 2**20:.2f} MiB")
        for line in stat.traceback.format(limit=frames, most_recent_first=True)[::2]:
            print(f"      {line.strip()}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--history", type=Path, required=True)
    parser.add_argument("--start", type=int, default=20_000)
    parser.add_argument("--every", type=int, default=20_000)
    parser.add_argument("--rows", type=int, default=100_000, help="stop after this many rows (of this crawl)")
    parser.add_argument("--frames", type=int, default=6)
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--workers", type=int, default=1, help="telemetry.parse_workers (1: parse in-process)")
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--keep", type=Path, help="crawl into this folder (kept; an earlier crawl there continues)")
    args = parser.parse_args(argv)
    logging.getLogger("sqlglot").setLevel(logging.ERROR)
    print(f"load average at start: {' '.join(f'{x:.1f}' for x in os.getloadavg())}", flush=True)
    with tempfile.TemporaryDirectory(prefix="crawl-memory-") as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        folder.chmod(0o700)
        config = write_config(folder, args.history.resolve(), args.workers, args.batch)
        settings = load_settings(config)
        stop = threading.Event()
        state: dict[str, object] = {"snap": None, "types": None, "at": 0}
        started = time.perf_counter()

        def progress(rows: int) -> None:
            if rows == args.start:
                tracemalloc.start(args.frames)
            if rows >= args.start and (rows - args.start) % args.every == 0:
                gc.collect()
                snap, types = tracemalloc.take_snapshot(), type_counts()
                traced = tracemalloc.get_traced_memory()[0] / 2**20
                print(f"rows {rows}: traced {traced:.1f} MiB, RSS {rss_mib():.0f} MiB, peak RSS "
                      f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB, "
                      f"{time.perf_counter() - started:.0f} s, load {os.getloadavg()[0]:.1f}", flush=True)
                if state["snap"] is not None:
                    print(f" grew since row {state['at']}:")
                    report(state["snap"], snap, args.top, args.frames)  # type: ignore[arg-type]
                    grown = (types - state["types"]).most_common(12)  # type: ignore[operator]
                    print("  objects: " + ", ".join(f"{name} +{n}" for name, n in grown), flush=True)
                state.update(snap=snap, types=types, at=rows)
            if rows >= args.rows:
                stop.set()

        services.crawl(settings, progress=progress, stop=stop)
    print(f"load average at end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
