"""Where a crawl's Python memory grows: tracemalloc snapshots diffed between points of one crawl.

Crawls ``--history`` (fresh embedded graph + SQLite registry, or ``--keep DIR`` to continue a
crawl kept there) through ``services.crawl`` with ``tracemalloc`` on, snapshots at ``--start``
rows and every ``--every`` rows after, and prints for each interval the allocation sites whose
live memory grew most (``--frames`` frames of traceback each), the traced total, the live
objects by type that grew most (``gc``), and the process's RSS. Stops after ``--rows`` rows.
Memory the graph engine allocates in C++ (its buffer pool) is not traced: compare the traced
total with RSS.

Each point's line also splits RSS: anonymous and file-backed pages, the graph engine's buffer
pool (``CALL BM_INFO()``), what glibc's malloc hands out and holds free, CPython's small-object
arenas and the bytes in use in them, and the cyclic garbage a full collection found there (the
crawl spaces full collections out: :mod:`lineage_engine.gc_pace`; the point's own collection
frees it, so the points after it are not the crawl's unobserved course).

``--owners`` also prints, at each point, what the crawl's long-lived objects hold (the
session resolver, the learned schema, the parse cache, the policy recorder, the stored
parse results): bytes (``sys.getsizeof`` summed over everything each reaches and no earlier
one did) and objects. With ``--owners`` the session resolver's state is also split (live temps, names gone, remembered
reads, result sets kept by id, the rest) and counted. ``--no-trace`` leaves ``tracemalloc`` off: the crawl then runs at
nearly its own speed, which makes ``--owners`` usable over hundreds of thousands of rows.

    python benchmarks/crawl_memory.py --history /work/bench/h150k_of_1m.jsonl --start 20000 --every 20000 --rows 100000
    python benchmarks/crawl_memory.py --history /tmp/h300k.jsonl --start 25000 --every 25000 --rows 300000 --owners --no-trace
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

from crawl_scale import _follow_embedded_stores, heap_mb, pool_mb, pymalloc_mb, status_mb, write_config  # noqa: E402

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


def owners() -> list[tuple[str, int, int]]:
    """Return ``(class name, bytes, objects)`` reachable from each long-lived object of the crawl.

    Bytes are ``sys.getsizeof`` summed over the objects each reaches (classes, modules and
    functions not followed; the registry and graph handles neither), an object counted under
    the first owner that reaches it; a lower bound of what each keeps alive (allocator
    overhead not counted).
    """
    from lineage_engine.governance import PolicyRecorder
    from lineage_engine.parse_cache import ParseCache
    from lineage_engine.parse_store import StoredResults
    from lineage_engine.parsing.learned_schema import LearnedSchema
    from lineage_engine.parsing.temp_tables import SessionResolver
    from lineage_engine.registry.repository import Registry

    from lineage_engine.access.egress_crawl import EgressObserver
    from lineage_engine.graph.embedded import EmbeddedGraphStore

    kinds = (SessionResolver, LearnedSchema, ParseCache, PolicyRecorder, StoredResults, EgressObserver, EmbeddedGraphStore)
    found = [o for o in gc.get_objects() if isinstance(o, kinds)]
    seen = {id(o) for o in gc.get_objects() if isinstance(o, Registry)}
    return [(type(owner).__name__, *_reach([owner], seen)) for owner in found]


def _reach(roots: list[object], seen: set[int]) -> tuple[int, int]:
    """Return ``(bytes, objects)`` reachable from ``roots`` and not in ``seen`` (added to it); see :func:`owners`."""
    skip = (type, type(sys), type(len), type(owners))
    size, count, stack = 0, 0, list(roots)
    while stack:
        obj = stack.pop()
        if id(obj) in seen or isinstance(obj, skip):
            continue
        seen.add(id(obj))
        size += sys.getsizeof(obj)
        count += 1
        stack.extend(gc.get_referents(obj))
    return size, count


def resolver_parts() -> list[tuple[str, int, int]]:
    """Return ``(part, bytes, objects)`` of the session resolvers' state, in the order counted (an object
    under the first part that reaches it): live temps, names gone, remembered reads, result sets kept by
    id, the rest (sessions' recent query ids, dropped instants, the order of reads, counters)."""
    from lineage_engine.parsing.temp_tables import SessionResolver

    resolvers = [o for o in gc.get_objects() if isinstance(o, SessionResolver)]
    sessions = [s for r in resolvers for s in r._sessions.values()]
    seen: set[int] = {id(r) for r in resolvers} | {id(s) for s in sessions}
    parts = [("temps", [s.temps for s in sessions]), ("gone", [s.gone for s in sessions]),
             ("reads", [s.reads for s in sessions]), ("kept results", [r._kept for r in resolvers]),
             ("rest", [*[s for s in sessions], *[vars(r) if hasattr(r, "__dict__") else r for r in resolvers]])]
    out = []
    for name, roots in parts:
        if name == "rest":
            seen -= {id(s) for s in sessions}
        size, count = _reach(roots, seen)
        out.append((name, size, count))
    counts = (f"{len(sessions)} sessions, {sum(len(s.temps) for s in sessions)} live temps, "
              f"{sum(len(s.gone) for s in sessions)} names gone, {sum(len(s.reads) for s in sessions)} names read, "
              f"{sum(len(r) for s in sessions for _, r in s.reads.values())} reads, "
              f"{sum(len(r.unresolved) for r in resolvers)} unresolved temp reads")
    out.append((counts, 0, 0))
    return out


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
    parser.add_argument("--owners", action="store_true", help="also print what the crawl's long-lived objects hold")
    parser.add_argument("--no-trace", action="store_true", help="leave tracemalloc off (with --owners: fast)")
    parser.add_argument("--reads-kept", type=int, help="an experiment: names whose reads each session remembers "
                        "(lineage_engine.parsing.temp_late.READS_KEPT) for this run; answers may differ")
    parser.add_argument("--reads-kept-all", type=int, help="an experiment: names whose reads all sessions together "
                        "remember (lineage_engine.parsing.temp_late.READS_KEPT_ALL) for this run; answers may differ")
    args = parser.parse_args(argv)
    logging.getLogger("sqlglot").setLevel(logging.ERROR)
    if args.reads_kept is not None:
        from lineage_engine.parsing import temp_late

        temp_late.READS_KEPT = args.reads_kept
        print(f"experiment: READS_KEPT = {args.reads_kept} names per session", flush=True)
    if args.reads_kept_all is not None:
        from lineage_engine.parsing import temp_late

        temp_late.READS_KEPT_ALL = args.reads_kept_all
        print(f"experiment: READS_KEPT_ALL = {args.reads_kept_all} names over all sessions", flush=True)
    print(f"load average at start: {' '.join(f'{x:.1f}' for x in os.getloadavg())}", flush=True)
    with tempfile.TemporaryDirectory(prefix="crawl-memory-") as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        folder.chmod(0o700)
        config = write_config(folder, args.history.resolve(), args.workers, args.batch)
        settings = load_settings(config)
        _follow_embedded_stores()
        stop = threading.Event()
        state: dict[str, object] = {"snap": None, "types": None, "at": 0}
        started = time.perf_counter()

        def progress(rows: int) -> None:
            if rows == args.start and not args.no_trace:
                tracemalloc.start(args.frames)
            if rows >= args.start and (rows - args.start) % args.every == 0:
                before = rss_mib(), sys.getallocatedblocks()
                garbage = gc.collect()
                snap = None if args.no_trace else tracemalloc.take_snapshot()
                types = type_counts()
                traced = "" if args.no_trace else f"traced {tracemalloc.get_traced_memory()[0] / 2**20:.1f} MiB, "
                heap, small, (anon, files) = heap_mb(), pymalloc_mb(), status_mb("RssAnon", "RssFile")
                print(f"rows {rows}: {traced}RSS {before[0]:.0f} MiB ({rss_mib():.0f} after a full collection that "
                      f"freed {garbage} cyclic objects, Python blocks {before[1] / 1e6:.2f} -> "
                      f"{sys.getallocatedblocks() / 1e6:.2f} M), peak RSS "
                      f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB, anon {anon:.0f} files "
                      f"{files:.0f}, graph buffer pool {pool_mb() or 0:.0f}"
                      + (f", malloc in use {heap[0]:.0f} free {heap[1]:.0f}" if heap else "")
                      + (f", pymalloc arenas {small[0]:.0f} in use {small[1]:.0f}" if small else "")
                      + f"; {time.perf_counter() - started:.0f} s, CPU {time.process_time():.0f} s, "
                      f"load {os.getloadavg()[0]:.1f}", flush=True)
                if args.owners:
                    print("  held by: " + ", ".join(f"{name} {size / 2**20:.1f} MiB ({count / 1e3:.0f}k objects)"
                                                    for name, size, count in owners()), flush=True)
                    *parts, (counts, _, _) = resolver_parts()
                    print("  session resolver: " + ", ".join(f"{name} {size / 2**20:.1f} MiB ({count / 1e3:.0f}k "
                                                             f"objects)" for name, size, count in parts)
                          + f"; {counts}", flush=True)
                if state["types"] is not None and args.no_trace:
                    grown = (types - state["types"]).most_common(12)  # type: ignore[operator]
                    print("  objects: " + ", ".join(f"{name} +{n}" for name, n in grown), flush=True)
                elif state["snap"] is not None:
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
