"""Crawl a large query history on the embedded default and print where the time goes.

Generates ROWS rows with ``benchmarks/scale_history.py`` (the solana-models workload
replicated under distinct database names when the corpus is present, else the bundled
sample), or takes ``--history FILE``, and crawls it through ``services.crawl`` (the code of
``lineage-engine crawl``) on a fresh embedded graph + SQLite registry, with a profile
(:mod:`lineage_engine.profiling`). Prints:

- rows/s per SEGMENT-row segment, wall and CPU (CPU of this process: it survives a loaded
  machine better than wall time; ``--workers 1``, the default, keeps parsing in-process so
  its CPU is counted), and the peak RSS reached by the end of each segment, the RSS then and
  what the graph engine's buffer pool holds of it (``CALL BM_INFO()``);
- peak RSS of the crawl's process;
- the per-kind breakdown (source, parse, resolve, graph, registry) and the top kinds of
  work (``parse.reads``, ``graph.<statement>``, ``registry.<what>``), wall and CPU seconds;
- with ``--save FILE``: the figures as JSON; with ``--before FILE`` (a ``--save`` of an
  earlier run, e.g. on the commit before a change): a before/after table;
- with ``--replay``: the same file crawled again from the start (the watermark removed):
  what changed (nothing expected) and its cost against the first crawl;
- with ``--traces N``: ``downstream_of`` / ``upstream_of`` p50/p95 over N datasets, in-process,
  answered as ``lineage-engine trace`` answers them (:mod:`lineage_engine.walk_traces`);
  ``--cypher`` runs their Cypher text instead (what the graph engine alone does with it);
  ``--traces-on CONFIG`` times them on an installation already crawled (no crawl).

Also the machine's load average at start and end: figures on a shared machine need it.

    python benchmarks/crawl_scale.py --rows 100000 [--segment 50000] [--workers 1] [--replay] [--traces 20]
    python benchmarks/crawl_scale.py --history H [--buffer-pool-mb 256] [--checkpoint-mb 64] [--segment-kinds 10]
    python benchmarks/crawl_scale.py --history /tmp/history.jsonl --keep /tmp/crawl-100k
    python benchmarks/crawl_scale.py --traces-on /tmp/crawl-100k/crawl.config.yaml --traces 100 [--cypher]
    python benchmarks/crawl_scale.py --history H --replay --save after.json --before before.json
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import scale_history  # noqa: E402

from lineage_engine import services  # noqa: E402
from lineage_engine.profiling import Profile  # noqa: E402
from lineage_engine.settings import load_settings  # noqa: E402


def peak_rss_mb() -> float:
    """Peak resident set size of this process in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_mb() -> float:
    """Current resident set size of this process in MiB (``/proc/self/statm``)."""
    with open("/proc/self/statm", encoding="ascii") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def workers_rss_mb() -> float:
    """Summed resident set size in MiB of this process's child processes (the parse workers; 0 with none)."""
    me, total = str(os.getpid()), 0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat", encoding="ascii") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended meanwhile
        if fields[1] == me:  # ppid (fields after the command's closing parenthesis: state, ppid, ...)
            total += int(fields[21]) * os.sysconf("SC_PAGE_SIZE")  # rss, in pages
    return total / 2**20


def heap_mb() -> tuple[float, float] | None:
    """MiB glibc's malloc hands out now and MiB it holds free (``mallinfo2``: in use, free in its
    arenas), or None where there is no glibc. Free memory held counts in RSS (fragmentation)."""
    import ctypes

    class MallInfo2(ctypes.Structure):
        _fields_ = [(name, ctypes.c_size_t) for name in (
            "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks",
            "keepcost")]

    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallinfo2.restype = MallInfo2
    except (OSError, AttributeError):
        return None
    info = libc.mallinfo2()
    return (info.uordblks + info.hblkhd) / 2**20, info.fordblks / 2**20


def pymalloc_mb() -> tuple[float, float] | None:
    """MiB of CPython's small-object allocator: its arenas (mapped, counted in RSS as touched) and
    the bytes of the blocks in use in them (``sys._debugmallocstats``, read from a temporary file
    standing in for standard error), or None where it cannot be read."""
    import re

    if not hasattr(sys, "_debugmallocstats"):
        return None
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with tempfile.TemporaryFile() as out:
            os.dup2(out.fileno(), 2)
            try:
                sys._debugmallocstats()
            finally:
                os.dup2(saved, 2)
            out.seek(0)
            text = out.read().decode("ascii", "replace")
    finally:
        os.close(saved)
    arenas = re.search(r"arenas \* (\d+) bytes/arena\s*=\s*([\d,]+)", text)
    used = re.search(r"# bytes in allocated blocks\s*=\s*([\d,]+)", text)
    if arenas is None or used is None:
        return None
    return int(arenas.group(2).replace(",", "")) / 2**20, int(used.group(1).replace(",", "")) / 2**20


def status_mb(*names: str) -> list[float]:
    """Fields of ``/proc/self/status`` in MiB (``RssAnon``, ``RssFile``: kB there), 0 when absent."""
    found = dict.fromkeys(names, 0.0)
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in found:
                found[key] = int(value.split()[0]) / 1024
    return [found[n] for n in names]


_STORES: list[object] = []


def _follow_embedded_stores() -> None:
    """Keep every embedded graph store this process opens (its buffer pool is read per segment)."""
    from lineage_engine.graph import embedded

    if getattr(embedded.EmbeddedGraphStore, "_followed", False):
        return
    opened = embedded.EmbeddedGraphStore.__init__

    def init(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        opened(self, *args, **kwargs)
        _STORES.append(self)

    embedded.EmbeddedGraphStore.__init__ = init  # type: ignore[method-assign]
    embedded.EmbeddedGraphStore._followed = True  # type: ignore[attr-defined]


def pool_mb() -> float | None:
    """MiB the graph engine's buffer pool holds now (``CALL BM_INFO()``) in the last open store, or None."""
    for store in reversed(_STORES):
        conn = getattr(store, "_conn", None)
        if conn is None or getattr(store, "read_only", True):
            continue
        try:
            result = conn.execute("CALL BM_INFO() RETURN mem_usage")
            return int(result.get_next()[0]) / 2**20
        except RuntimeError:
            return None
    return None


def write_config(folder: Path, history: Path, workers: int, batch: int, graph_options: str = "") -> Path:
    config = folder / "crawl.config.yaml"
    config.write_text(
        f"telemetry: {{provider: file, path: '{history}', parse_workers: {workers}, batch_size: {batch}}}\n"
        f"graph: {{type: embedded, path: '{folder / 'graph'}'{graph_options}}}\n"
        f"compliance: {{classification_db: 'sqlite:///{folder / 'registry.db'}'}}\n",
        encoding="utf-8")
    return config


class Segments:
    """Progress callback: wall and CPU seconds at every ``size`` rows.

    With ``profile`` and ``kinds`` > 0, each segment line is followed by the CPU seconds of
    the ``kinds`` kinds of work that cost most in that segment (where a cost grows).
    """

    def __init__(self, size: int, profile: Profile | None = None, kinds: int = 0) -> None:
        self.size = size
        self.profile = profile
        self.kinds = kinds
        self.last_cpu: dict[str, float] = {}
        self.marks: list[tuple[int, float, float, float]] = [(0, time.perf_counter(), time.process_time(),
                                                               peak_rss_mb())]

    def __call__(self, rows: int) -> None:
        if rows % self.size == 0:
            self.marks.append((rows, time.perf_counter(), time.process_time(), peak_rss_mb()))
            r0, w0, c0, _ = self.marks[-2]
            heap = heap_mb()
            heap = f", malloc in use {heap[0]:.0f} free {heap[1]:.0f}" if heap else ""
            small = pymalloc_mb()
            heap += f", pymalloc arenas {small[0]:.0f} in use {small[1]:.0f}" if small else ""
            anon, files = status_mb("RssAnon", "RssFile")
            heap += f", anon {anon:.0f} files {files:.0f}"
            print(f"  segment {r0}-{rows}: {(rows - r0) / max(self.marks[-1][1] - w0, 1e-9):.0f} rows/s wall, "
                  f"{(rows - r0) / max(self.marks[-1][2] - c0, 1e-9):.0f} rows/s CPU, peak RSS "
                  f"{self.marks[-1][3]:.0f} MiB (now {rss_mb():.0f}, of which graph buffer pool "
                  f"{pool_mb() or 0:.0f}{heap}, Python objects {sys.getallocatedblocks() / 1e6:.2f} M; "
                  f"parse workers {workers_rss_mb():.0f}), load {os.getloadavg()[0]:.1f}", flush=True)
            if self.profile is not None and self.kinds:
                now = dict(self.profile.cpu)
                delta = sorted(((v - self.last_cpu.get(k, 0.0), k) for k, v in now.items()), reverse=True)
                self.last_cpu = now
                print("    cpu s: " + ", ".join(f"{k} {v:.2f}" for v, k in delta[:self.kinds]), flush=True)

    def finish(self, rows: int) -> None:
        if self.marks[-1][0] != rows:
            self.marks.append((rows, time.perf_counter(), time.process_time(), peak_rss_mb()))

    def table(self) -> list[dict[str, float]]:
        return [{"rows": f"{r0}-{r1}", "rows_s_wall": round((r1 - r0) / max(w1 - w0, 1e-9)),
                 "rows_s_cpu": round((r1 - r0) / max(c1 - c0, 1e-9)), "peak_rss_mib": round(m1)}
                for (r0, w0, c0, _), (r1, w1, c1, m1) in zip(self.marks, self.marks[1:])]

    def print(self) -> None:
        print(f"{'rows':>16} {'rows/s wall':>12} {'rows/s cpu':>11} {'peak RSS MiB':>13}")
        for row in self.table():
            print(f"{row['rows']:<16} {row['rows_s_wall']:>12} {row['rows_s_cpu']:>11} {row['peak_rss_mib']:>13}")


def print_profile(profile: Profile, rows: int, top: int) -> None:
    print(f"{'stage':<28} {'wall s':>9} {'cpu s':>9} {'cpu us/row':>11}")
    for stage, (wall, cpu) in sorted(profile.by_stage().items(), key=lambda kv: -kv[1][0]):
        print(f"{stage:<28} {wall:>9.1f} {cpu:>9.1f} {cpu / max(rows, 1) * 1e6:>11.0f}")
    print(f"{'kind of work':<36} {'calls':>6} {'wall s':>9} {'cpu s':>9}")
    for row in profile.rows()[:top]:
        print(f"{row['kind']:<36} {row['calls']:>6} {row['wall_s']:>9.1f} {row['cpu_s']:>9.1f}")


def figures(outcome: services.CrawlOutcome, profile: Profile, wall: float, cpu: float) -> dict[str, object]:
    """Return one crawl's figures as JSON-able data (``--save``)."""
    r = outcome.report
    return {"rows": r.rows_read, "parsed": r.statements_parsed, "cache_hits": r.cache_hits, "events": r.events,
            "wall_s": round(wall, 2), "cpu_s": round(cpu, 2), "peak_rss_mib": round(peak_rss_mb()),
            "load": round(os.getloadavg()[0], 1),
            "stages_cpu_s": {k: round(v[1], 2) for k, v in sorted(profile.by_stage().items())}}


def print_before_after(before: dict[str, object], after: dict[str, object]) -> None:
    """Print the figures of two ``--save`` files side by side."""
    print(f"{'figure':<28} {'before':>12} {'after':>12}")
    for run in ("crawl", "replay"):
        old, new = before.get(run) or {}, after.get(run) or {}
        for name in ("rows", "parsed", "cache_hits", "wall_s", "cpu_s", "peak_rss_mib", "load"):
            if name in old or name in new:
                print(f"{run + ' ' + name:<28} {old.get(name, ''):>12} {new.get(name, ''):>12}")
        stages = sorted(set(old.get("stages_cpu_s", {})) | set(new.get("stages_cpu_s", {})))
        for stage in stages:
            print(f"{run + ' cpu s ' + stage:<28} {old.get('stages_cpu_s', {}).get(stage, ''):>12} "
                  f"{new.get('stages_cpu_s', {}).get(stage, ''):>12}")
    for key in ("replay_cpu_ratio",):
        if key in before or key in after:
            print(f"{key:<28} {before.get(key, ''):>12} {after.get(key, ''):>12}")


def crawl(config: Path, segment: int, kinds: int = 0) -> tuple[services.CrawlOutcome, Profile, Segments, float, float]:
    settings = load_settings(config)
    _follow_embedded_stores()
    profile = Profile()
    segments = Segments(segment, profile, kinds)
    wall, cpu = time.perf_counter(), time.process_time()
    outcome = services.crawl(settings, progress=segments, profile=profile)
    segments.finish(outcome.report.rows_read)
    return outcome, profile, segments, time.perf_counter() - wall, time.process_time() - cpu


def describe(outcome: services.CrawlOutcome) -> str:
    r = outcome.report
    return (f"{r.rows_read} rows, {r.statements_parsed} parsed, {r.events} events; datasets +{r.merge.datasets_created}, "
            f"edges +{r.merge.edges_created} ~{r.merge.edges_updated} x{r.merge.edges_closed}, column edges "
            f"+{r.merge.column_edges_created} ~{r.merge.column_edges_updated} x{r.merge.column_edges_closed}, "
            f"{r.merge.events_skipped} events skipped as already applied")


def trace_latencies(config: Path, count: int, seed: int = 5, *, cypher: bool = False) -> None:
    from lineage_engine.traces import coerce_params, load_trace
    from lineage_engine.walk_traces import answered_by_walk, run_walk_trace

    settings = load_settings(config)
    with services.graph_store(settings, read_only=True) as store:
        ids = sorted({r.downstream for r in store.iter_edges()} | {r.upstream for r in store.iter_edges()})
        picks = random.Random(seed).sample(ids, min(count, len(ids)))
        for name in ("downstream_of", "upstream_of"):
            trace = load_trace(name)
            how = "Cypher" if cypher or not answered_by_walk(name) else "as 'lineage-engine trace' answers it"
            times = []
            for dataset in picks:
                params = coerce_params(trace, {"dataset": dataset})
                started = time.perf_counter()
                if how == "Cypher":
                    store.run_trace(trace, params)
                else:
                    run_walk_trace(store, trace, params, lambda _at: [])
                times.append(time.perf_counter() - started)
            times.sort()
            p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
            print(f"trace {name} ({how}): {len(times)} datasets, p50 {statistics.median(times) * 1000:.0f} ms, "
                  f"p95 {p95 * 1000:.0f} ms, peak RSS {peak_rss_mb():.0f} MiB", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--history", type=Path, help="crawl this file instead of generating ROWS rows")
    parser.add_argument("--base", default=None, help="scale_history base: solana (default when present) or sample")
    parser.add_argument("--segment", type=int, default=50_000)
    parser.add_argument("--workers", type=int, default=1, help="telemetry.parse_workers (1: parse in-process)")
    parser.add_argument("--batch", type=int, default=1000, help="telemetry.batch_size")
    parser.add_argument("--buffer-pool-mb", type=int, help="graph.buffer_pool_mb (default: the setting's)")
    parser.add_argument("--checkpoint-mb", type=int, help="graph.checkpoint_mb (default: the setting's)")
    parser.add_argument("--replay", action="store_true", help="crawl the same file again from its start")
    parser.add_argument("--traces", type=int, default=0, help="time downstream_of/upstream_of on N datasets")
    parser.add_argument("--cypher", action="store_true", help="time the traces' Cypher text, not the product's answer")
    parser.add_argument("--traces-on", type=Path, help="time the traces on this crawled installation's config, no crawl")
    parser.add_argument("--top", type=int, default=12, help="statements shown in the breakdown")
    parser.add_argument("--segment-kinds", type=int, default=0, metavar="N",
                        help="after each segment, the N kinds of work that cost most CPU in it")
    parser.add_argument("--keep", type=Path, help="crawl into this folder (kept) instead of a temporary one")
    parser.add_argument("--save", type=Path, help="write the figures (crawl, replay) to this JSON file")
    parser.add_argument("--before", type=Path, help="a --save file of an earlier run: print before/after")
    args = parser.parse_args(argv)
    logging.getLogger("sqlglot").setLevel(logging.ERROR)  # its fallback warnings, one per odd statement
    if args.traces_on:
        print(f"load average at start: {' '.join(f'{x:.1f}' for x in os.getloadavg())} ({os.cpu_count()} cores)")
        trace_latencies(args.traces_on, args.traces or 100, cypher=args.cypher)
        print(f"load average at end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
        return 0

    with tempfile.TemporaryDirectory(prefix="crawl-scale-") as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        folder.chmod(0o700)  # the graph folder must not be readable by others (the crawl refuses it)
        history = args.history.resolve() if args.history else None
        if history is None:
            history = folder / "history.jsonl"
            base = args.base or ("solana" if scale_history.SOLANA_SHARED.exists() else "sample")
            started = time.perf_counter()
            scale_history.main([str(args.rows), "--base", base, "-o", str(history)])
            print(f"history: {history} ({history.stat().st_size / 2**20:.0f} MiB) in {time.perf_counter() - started:.0f} s")
        graph_options = "".join(f", {name}: {value}" for name, value in (
            ("buffer_pool_mb", args.buffer_pool_mb), ("checkpoint_mb", args.checkpoint_mb)) if value is not None)
        config = write_config(folder, history, args.workers, args.batch, graph_options)
        print(f"load average at start: {' '.join(f'{x:.1f}' for x in os.getloadavg())} ({os.cpu_count()} cores)")
        outcome, profile, segments, wall, cpu = crawl(config, args.segment, args.segment_kinds)
        rows = outcome.report.rows_read
        print(f"crawl: {describe(outcome)}; {outcome.report.cache_hits} parse cache hits")
        saved: dict[str, object] = {"crawl": figures(outcome, profile, wall, cpu)}
        print(f"crawl: {wall:.1f} s wall, {cpu:.1f} s CPU ({rows / max(wall, 1e-9):.0f} rows/s wall, "
              f"{rows / max(cpu, 1e-9):.0f} rows/s CPU), peak RSS {peak_rss_mb():.0f} MiB, "
              f"workers {args.workers}, batch {args.batch}")
        segments.print()
        print_profile(profile, rows, args.top)
        if args.replay:
            import sqlite3

            with sqlite3.connect(folder / "registry.db") as db:
                for table in ("crawl_state", "crawl_session", "crawl_temp", "crawl_learned_columns"):
                    db.execute(f"DELETE FROM {table}")  # what 'crawl --reset-watermark' forgets
            again, replay_profile, _, replay_wall, replay_cpu = crawl(config, args.segment)
            print(f"replay: {describe(again)}; {again.report.cache_hits} parse cache hits")
            saved["replay"] = figures(again, replay_profile, replay_wall, replay_cpu)
            saved["replay_cpu_ratio"] = round(replay_cpu / max(cpu, 1e-9), 2)
            print(f"replay: {replay_wall:.1f} s wall ({replay_wall / max(wall, 1e-9):.2f} of the first), "
                  f"{replay_cpu:.1f} s CPU ({replay_cpu / max(cpu, 1e-9):.2f} of the first)")
            print_profile(replay_profile, again.report.rows_read, args.top)
        if args.save:
            args.save.write_text(json.dumps(saved, indent=1), encoding="utf-8")
        if args.before:
            print_before_after(json.loads(args.before.read_text(encoding="utf-8")), saved)
        if args.traces:
            trace_latencies(config, args.traces, cypher=args.cypher)
        print(f"load average at end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
