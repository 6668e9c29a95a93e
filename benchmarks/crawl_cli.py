"""Time ``lineage-engine crawl`` as a user runs it: the installed command, a fresh empty folder.

Runs the crawl of a query-history file (default: the solana-models corpus beside the repo)
RUNS times, each in a new temporary folder with a one-line config (embedded graph, SQLite
registry, file source), and prints per run: wall seconds, user and system CPU seconds of the
command and every process it started (its parse workers included), peak RSS of the largest
process, and the machine's 1-minute load average before the run (wall time means something
only on an idle machine: issue 13's goal is stated "on an idle machine"). Then the best wall
of the runs that started with a load below ``--max-load``, and the best user+sys CPU.

With ``--replay`` each folder is crawled a second time from the start (``crawl
--reset-watermark --yes``: the same history again) and timed the same way.
With ``--profile`` the last run's ``crawl --profile`` breakdown is printed.

    python benchmarks/crawl_cli.py [--history FILE] [--runs 3] [--replay] [--profile] [--set batch_size=5000]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOLANA = ROOT.parent / "shared" / "corpora" / "solana-models" / "query_history.jsonl"


def command() -> str:
    """Return the installed ``lineage-engine`` beside this interpreter (a venv), else the one on PATH."""
    local = Path(sys.executable).with_name("lineage-engine")
    return str(local) if local.exists() else (shutil.which("lineage-engine") or "lineage-engine")


def timed(args: list[str], folder: Path) -> tuple[float, float, float, float, str]:
    """Run ``args`` in ``folder``; return wall, user, sys seconds, peak RSS MiB (its process tree) and stdout."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(args, cwd=folder, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        sys.exit(f"{' '.join(args[1:])} failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
    # ru_maxrss of RUSAGE_CHILDREN: the largest child reaped so far (KiB); a floor across runs
    return (wall, after.ru_utime - before.ru_utime, after.ru_stime - before.ru_stime, after.ru_maxrss / 1024,
            done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--history", type=Path, default=SOLANA, help="query-history file (JSON Lines or CSV)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--replay", action="store_true", help="also crawl each folder again from the start")
    parser.add_argument("--profile", action="store_true", help="print the last run's crawl --profile table")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="an extra telemetry key, e.g. batch_size=5000 (repeatable)")
    parser.add_argument("--max-load", type=float, default=1.5, help="runs starting above this load are not 'idle'")
    args = parser.parse_args()
    if not args.history.exists():
        sys.exit(f"no history at {args.history}: pass --history FILE")
    extra = "".join(f", {key}: {value}" for key, value in (item.split("=", 1) for item in args.set))
    config = f"telemetry: {{provider: file, path: {args.history.resolve()}{extra}}}\n"
    exe = command()
    print(f"{exe} crawl of {args.history} ({sum(1 for _ in args.history.open('rb'))} lines), "
          f"{os.cpu_count()} cores; config: {config.strip()}")
    rows: list[tuple[str, float, float, float, float, float]] = []
    for run in range(1, args.runs + 1):
        with tempfile.TemporaryDirectory(prefix="crawl-cli-") as name:
            folder = Path(name)
            (folder / "c.yaml").write_text(config, encoding="utf-8")
            load = os.getloadavg()[0]
            flags = ["--profile"] if args.profile and run == args.runs else []
            wall, user, system, rss, out = timed([exe, "--config", "c.yaml", "crawl", *flags], folder)
            rows.append(("crawl", load, wall, user, system, rss))
            print(f"run {run}: load {load:4.2f}  wall {wall:6.2f} s  user {user:6.2f} s  sys {system:5.2f} s  "
                  f"peak RSS >= {rss:5.0f} MiB   {out.splitlines()[0] if out else ''}")
            if flags:
                profile = out[out.find("Where the crawl"):]
            if args.replay:
                load = os.getloadavg()[0]
                wall, user, system, rss, out = timed(
                    [exe, "--config", "c.yaml", "crawl", "--reset-watermark", "--yes"], folder)
                rows.append(("replay", load, wall, user, system, rss))
                print(f"  replay: load {load:4.2f}  wall {wall:6.2f} s  user {user:6.2f} s  sys {system:5.2f} s  "
                      f"{next((line for line in out.splitlines() if line.startswith('crawled')), '')}")
    for kind in ("crawl", "replay"):
        mine = [r for r in rows if r[0] == kind]
        if not mine:
            continue
        idle = [r for r in mine if r[1] < args.max_load]
        best_cpu = min(r[3] + r[4] for r in mine)
        wall = f"best wall {min(r[2] for r in idle):.2f} s of {len(idle)} idle run(s)" if idle else \
            f"no run started below load {args.max_load} (best wall {min(r[2] for r in mine):.2f} s, loaded)"
        print(f"{kind}: {wall}; best user+sys {best_cpu:.2f} s")
    if args.profile:
        print(profile)


if __name__ == "__main__":
    main()
