"""What the crawl's in-memory state holds as a long history is resolved, without the graph or the registry.

Feeds ``--history`` row by row through the crawl's own per-row step (``pipeline._lineage_of``: filter,
parse with the parse cache, learned schema, session resolver), at about 4 times the speed of a crawl
(no graph writes, no registry), and prints every ``--every`` rows the bytes and objects the session
resolver's parts, the learned schema and the parse cache hold (:mod:`crawl_memory`'s ``--owners``
counting), the process's RSS and CPU seconds. The resolver's ``sweep`` runs every ``--batch`` rows,
as at a crawl's batch commits; nothing is persisted. A tool to find which state grows with a history
(issue 13 §3), not a crawl: the quarantine and events are dropped.

    python benchmarks/resolver_memory.py --history /work/bench/h1m.jsonl --rows 450000 --every 50000
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
import os
import resource
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from crawl_memory import _reach, resolver_parts, rss_mib  # noqa: E402

from lineage_engine import pipeline  # noqa: E402
from lineage_engine.crawl_options import CrawlOptions  # noqa: E402
from lineage_engine.model import QueryRecord  # noqa: E402
from lineage_engine.parse_cache import ParseCache  # noqa: E402
from lineage_engine.parsing import DEFAULT_TEMP_PATTERNS, SessionResolver  # noqa: E402
from lineage_engine.parsing.learned_schema import CrawlSchema, LearnedSchema  # noqa: E402
from lineage_engine.parsing.temp_names import compile_temp_patterns  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--history", type=Path, required=True)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--every", type=int, default=25_000)
    parser.add_argument("--batch", type=int, default=1000)
    args = parser.parse_args(argv)
    logging.getLogger("sqlglot").setLevel(logging.ERROR)
    options = CrawlOptions()
    patterns = (*DEFAULT_TEMP_PATTERNS, *options.temp_patterns)
    resolver = SessionResolver(patterns, options.session_idle)
    schema = LearnedSchema()
    columns = CrawlSchema(schema, None)
    cache = ParseCache.for_options(options)
    report = pipeline.CrawlReport(source="replay")
    temp_re = compile_temp_patterns(patterns)
    now = datetime.now(timezone.utc)
    fields = set(QueryRecord.__dataclass_fields__)
    print(f"load average at start: {' '.join(f'{x:.1f}' for x in os.getloadavg())}", flush=True)
    with args.history.open(encoding="utf-8") as handle:
        for n, line in enumerate(handle, 1):
            row = {k: v for k, v in json.loads(line).items() if k in fields}
            for name in ("start_time", "end_time"):
                row[name] = datetime.fromisoformat(row[name])
            record = QueryRecord(**row)
            quarantine: list = []
            reads: list = [] if options.keep_reads else None  # type: ignore[assignment]
            try:
                pipeline._lineage_of(record, "replay", options, patterns, cache, columns, schema, resolver, report,
                                     quarantine, now, reads=reads, temp_re=temp_re)
            except Exception:  # noqa: BLE001 - as the crawl: one row never stops it
                resolver.unresolved_results.clear()
                resolver.forgotten_reads.clear()
                resolver.seen(record)
            resolver.unresolved_results.clear()
            resolver.forgotten_reads.clear()
            if n % args.batch == 0:
                resolver.sweep()
                resolver.take_changes()
                schema.take_changes()
                cache.take_new()
            if n % args.every == 0:
                gc.collect()
                seen: set[int] = set()
                learned = _reach([schema], seen)
                cached = _reach([cache], seen)
                *parts, (counts, _, _) = resolver_parts()
                print(f"rows {n}: RSS {rss_mib():.0f} MiB, peak {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}"
                      f" MiB, CPU {time.process_time():.0f} s, Python objects {len(gc.get_objects()) / 1e6:.2f} M, "
                      f"load {os.getloadavg()[0]:.1f}", flush=True)
                print("  session resolver: " + ", ".join(f"{name} {size / 2**20:.1f} MiB ({count / 1e3:.0f}k)"
                                                         for name, size, count in parts) + f"; {counts}", flush=True)
                print(f"  learned schema {learned[0] / 2**20:.1f} MiB ({learned[1] / 1e3:.0f}k), parse cache "
                      f"{cached[0] / 2**20:.1f} MiB ({cached[1] / 1e3:.0f}k, {len(cache.entries)} entries)", flush=True)
            if n >= args.rows:
                break
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
