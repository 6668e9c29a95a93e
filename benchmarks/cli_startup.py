"""Start-up cost of ``lineage-engine`` commands: wall and CPU seconds, and the heavy packages each imports.

Most tests run the installed command in a subprocess, so its start-up is paid on every call.
This script runs each command of a list ``--repeat`` times on a small installation (the
bundled sample, crawled once by ``lineage-engine demo`` into a temporary folder, or
``--store DIR`` where that was done before) and prints, per command, the median wall
seconds, the median CPU seconds (user + system of the child) and which heavy packages
ended up in ``sys.modules``. ``--baseline-src DIR`` runs the same commands with the
package imported from another source tree (e.g. an earlier commit unpacked by
``git archive``) and prints both, side by side: the "before" and "after" figures.

CPU seconds survive a loaded machine better than wall seconds; the load average at start
and end is printed too (figures from a shared machine need it).

    python benchmarks/cli_startup.py [--repeat 5] [--store DIR]
    git archive 6b38b0f lineage_engine cypher migrations config lineage-engine.config.yaml | (mkdir -p /tmp/base && tar -x -C /tmp/base)
    python benchmarks/cli_startup.py --baseline-src /tmp/base
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.cli_run import MODULES_PROBE  # noqa: E402 - the repository root is on the path now

HEAVY = ("sqlglot", "numpy", "pyarrow", "sqlalchemy", "alembic", "fastapi", "starlette", "uvicorn", "jinja2",
         "openlineage", "neo4j", "ladybug", "real_ladybug", "snowflake", "slack_sdk", "apscheduler",
         "pydantic_settings", "psycopg", "prometheus_client")
"""Packages whose import is worth reporting (each costs tens to hundreds of milliseconds)."""

COMMANDS: tuple[tuple[str, ...], ...] = (
    ("--help",),
    ("--version",),
    ("trace", "--list"),
    ("findings",),
    ("registry", "list"),
    ("quarantine",),
    ("export", "edges", "--output", "{store}/edges.jsonl"),
    ("trace", "downstream_of", "-p", "dataset=prod_db.raw.customer_profiles"),
    ("scan",),
    ("crawl",),
)
"""Each command as a user types it after ``lineage-engine`` (``{store}``: the installation's folder)."""



def _environment(src: Path | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINEAGE_ENGINE_") and k != "SLACK_WEBHOOK_URL"}
    env["COLUMNS"] = "200"
    if src is not None:
        env["PYTHONPATH"] = str(src)
    return env


def run_once(args: tuple[str, ...], store: Path, src: Path | None) -> tuple[float, float, list[str]]:
    """Run one command in a fresh interpreter; return (wall s, CPU s, heavy packages imported).

    Raises:
        RuntimeError: the command failed (its stderr is in the message).
    """
    argv = [a.replace("{store}", str(store)) for a in args]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-c", MODULES_PROBE, json.dumps(argv)], cwd=store, capture_output=True,
                            text=True, env=_environment(src), timeout=600)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if result.returncode != 0:
        raise RuntimeError(f"lineage-engine {' '.join(argv)} exited {result.returncode}:\n{result.stderr[-2000:]}")
    line = next(line for line in result.stderr.splitlines() if line.startswith("MODULES "))
    roots = {name.split(".")[0] for name in json.loads(line.removeprefix("MODULES "))}
    return wall, cpu, [name for name in HEAVY if name in roots]


def measure(args: tuple[str, ...], store: Path, src: Path | None, repeat: int) -> tuple[float, float, list[str]]:
    """Median wall and CPU seconds over ``repeat`` runs (after one warm-up run), and the heavy imports."""
    _, _, heavy = run_once(args, store, src)  # warm-up: file system cache, .pyc files
    walls, cpus = [], []
    for _ in range(repeat):
        wall, cpu, heavy = run_once(args, store, src)
        walls.append(wall)
        cpus.append(cpu)
    return statistics.median(walls), statistics.median(cpus), heavy


def build_store(folder: Path) -> None:
    """Crawl the bundled sample into ``folder`` with ``lineage-engine demo`` (embedded graph, SQLite)."""
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-c", "from lineage_engine.cli import main; main()", "demo"], cwd=folder,
                   check=True, capture_output=True, env=_environment(None), timeout=900)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per command (median reported), default 5")
    parser.add_argument("--store", type=Path, help="folder where 'lineage-engine demo' ran (built when missing)")
    parser.add_argument("--baseline-src", type=Path, help="source tree of the 'before' package (PYTHONPATH)")
    parser.add_argument("--only", nargs="*", default=None, help="commands whose text starts with one of these")
    options = parser.parse_args()
    store = options.store or Path(tempfile.mkdtemp(prefix="cli-startup-"))
    if not (store / ".lineage").exists():
        build_store(store)
    commands = [c for c in COMMANDS if options.only is None or any(" ".join(c).startswith(o) for o in options.only)]
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; {os.cpu_count()} CPUs; "
          f"median of {options.repeat} runs; store {store}")
    header = f"{'command':<62} {'wall s':>7} {'CPU s':>6}"
    if options.baseline_src:
        header += f"  {'before wall':>11} {'before CPU':>10}"
    print(header + "  heavy packages imported (after)")
    for args in commands:
        wall, cpu, heavy = measure(args, store, None, options.repeat)
        text = " ".join(args).replace("{store}/", "")
        line = f"lineage-engine {text:<47.47} {wall:7.2f} {cpu:6.2f}"
        if options.baseline_src:
            base_wall, base_cpu, base_heavy = measure(args, store, options.baseline_src.resolve(), options.repeat)
            line += f"  {base_wall:11.2f} {base_cpu:10.2f}"
        print(line + "  " + (", ".join(heavy) or "-"), flush=True)
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
