"""Crawl cost with and without reads kept (issue 14 §1): the solana-models history (or ``--history``).

Crawls the same file twice from empty, each in a fresh process, with
``telemetry.keep_reads: false`` then ``true`` (``telemetry.parse_workers`` as configured by
default: ``--parse-workers N`` sets it, 1 parses in the crawl's process), and prints for each:
rows, wall seconds, CPU seconds of the crawl's process and of its parse workers, rows/s (wall
and CPU of the crawl's process), peak RSS of the crawling process, statements whose reads were
kept and aggregate rows stored; then the ratio with/without. The issue's budget: within 20% of
the crawl without reads. Also the load average before and after (the machine is shared).

    python benchmarks/access_reads.py [--history FILE] [--batch 1000] [--parse-workers N]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOLANA = Path("/work/shared/corpora/solana-models/query_history.jsonl")


def one(history: Path, keep_reads: bool, batch: int, workers: int) -> dict[str, float]:
    """Crawl ``history`` in this process on a fresh embedded graph and SQLite registry (``workers`` 0: the default)."""
    sys.path.insert(0, str(ROOT))
    from lineage_engine import services
    from lineage_engine.settings import load_settings

    folder = Path(tempfile.mkdtemp(prefix="access-reads-"))
    config = folder / "c.yaml"
    config.write_text(
        f"telemetry: {{provider: file, path: '{history}', batch_size: {batch}, "
        + (f"parse_workers: {workers}, " if workers else "") +
        f"keep_reads: {str(keep_reads).lower()}}}\n"
        f"graph: {{type: embedded, path: '{folder / 'graph'}'}}\n"
        f"compliance: {{classification_db: 'sqlite:///{folder / 'registry.db'}'}}\n", encoding="utf-8")
    settings = load_settings(config)
    services.migrate(settings)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall, cpu = time.perf_counter(), time.process_time()
    outcome = services.crawl(settings)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    after = resource.getrusage(resource.RUSAGE_CHILDREN)  # parse workers, joined when the crawl ends
    workers_cpu = after.ru_utime + after.ru_stime - children.ru_utime - children.ru_stime
    with sqlite3.connect(folder / "registry.db") as db:
        aggregates = db.execute("select count(*) from access_reads").fetchone()[0]
    r = outcome.report
    return {"rows": r.rows_read, "wall_s": round(wall, 2), "cpu_s": round(cpu, 2), "workers_cpu_s": round(workers_cpu, 2),
            "parse_workers": settings.telemetry.parse_workers or "default", "prefetched": r.prefetched,
            "rows_per_s_wall": round(r.rows_read / wall, 1), "rows_per_s_cpu": round(r.rows_read / cpu, 1),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "reads_kept": r.reads, "aggregate_rows": aggregates}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--history", type=Path, default=SOLANA)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--parse-workers", type=int, default=0, help="telemetry.parse_workers (0: the default)")
    parser.add_argument("--one", choices=("with", "without"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(one(args.history, args.one == "with", args.batch, args.parse_workers)))
        return 0
    print(f"history: {args.history}; load average before: {os.getloadavg()}")
    figures = {}
    for mode in ("without", "with"):
        out = subprocess.run([sys.executable, __file__, "--history", str(args.history), "--batch", str(args.batch),
                              "--parse-workers", str(args.parse_workers), "--one", mode],
                             capture_output=True, text=True, check=True)
        figures[mode] = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"{mode:>7} reads: {figures[mode]}")
    w, o = figures["with"], figures["without"]
    print(f"with/without: wall x{w['wall_s'] / o['wall_s']:.2f}, CPU x{w['cpu_s'] / o['cpu_s']:.2f}, "
          f"peak RSS x{w['peak_rss_mb'] / o['peak_rss_mb']:.2f}")
    print(f"load average after: {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
