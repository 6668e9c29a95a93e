"""Measure the whole ``lineage-engine scan`` on the synthetic lineage: CPU seconds, peak RSS, stages.

For each size, the synthetic temporal lineage of ``benchmarks/exposure_walk.py`` (DATASETS
datasets, EDGES intervals) is bulk-loaded into an embedded graph (kept and reused with
``--keep-graphs DIR``; each run scans a copy), a SQLite registry classifies the first
ORIGINS datasets as ``restricted`` PII, and the installed command runs, as a user would:

    lineage-engine --config C migrate
    lineage-engine --config C registry import origins.yaml
    lineage-engine --config C scan --profile [--format json]   # SCANS times (first: every finding opens)
    lineage-engine --config C findings --format json           # the ledger, hashed

``--format table`` (the default) runs the user's ``lineage-engine scan`` as typed: the counts and
the 50 most severe paths; ``--format json`` prints every path with its hops (the output's
SHA-256 compares two revisions; at 800,000 paths that is gigabytes of text, and its encoding is
the ``output`` stage).

Each command is its own process: CPU seconds (user + system) and peak RSS come from that
process's ``wait4`` rusage, start-up included (the outputs are read a line at a time, or in
another process, so that no child inherits this process's peak RSS: see ``_count_rows``). ``scan --profile`` prints the seconds per stage
(graph reads, walk, paths, explanations, registry writes, alerts, output). Alerts go to the
console (no webhook); their delivery is bounded by ``monitoring.alert_budget_seconds``
(``--alert-budget``, default 5 s here). The findings export's SHA-256 (without the ``*_at``
times, which are the scan's clock) lets two revisions be compared on the same graph
(``--findings-out`` keeps the export).

    python benchmarks/scan_end_to_end.py [--sizes 100000:1000000] [--origins 10] [--scans 2]
        [--keep-graphs DIR] [--alert-budget 5] [--findings-out FILE] [--format table|json]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
CLI = Path(sys.executable).with_name("lineage-engine")


def run(args: list[str], folder: Path, stdout: Path) -> tuple[float, float, int, str]:
    """Run the CLI in ``folder``; return (wall s, CPU s, peak RSS MiB, stderr)."""
    err = folder / "stderr.txt"
    started = time.perf_counter()
    with stdout.open("wb") as out, err.open("wb") as errors:
        proc = subprocess.Popen([str(CLI), "--config", str(folder / "config.yaml"), *args], cwd=folder,
                                stdout=out, stderr=errors, env={**os.environ, "COLUMNS": "160"})
        _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    text = err.read_text(errors="replace")
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):  # 1: an alert left pending is not a failure here
        raise SystemExit(f"{' '.join(args)} exited {code}:\n{text[-3000:]}")
    return wall, usage.ru_utime + usage.ru_stime, round(usage.ru_maxrss / 1024), text


def _count_rows(path: Path) -> tuple[int, str]:
    """Return (rows, sha256 prefix) of a ``--format json`` output, read a line at a time.

    This process must stay small: a child started from it (fork or vfork, then exec) reports
    this process's peak RSS as its own when that is larger (Linux keeps the pre-exec high-water
    mark in ``ru_maxrss``), so loading 800,000 rows here would inflate every later figure.
    """
    digest = hashlib.sha256()
    rows = 0
    with path.open("rb") as handle:
        for line in handle:
            digest.update(line)
            rows += line.startswith(b"  {")  # a row opens at indent 2 (json.dumps(indent=2) of a list)
    return rows, digest.hexdigest()[:16]


_TIMELESS = (
    "import hashlib, json, sys\n"
    "rows = json.loads(open(sys.argv[1], 'rb').read() or b'[]')\n"
    "timeless = json.dumps([{k: v for k, v in r.items() if not k.endswith('_at')} for r in rows], sort_keys=True)\n"
    "print(len(rows), hashlib.sha256(timeless.encode()).hexdigest()[:16])\n"
)
"""Print a findings export's row count and SHA-256 prefix without the ``*_at`` times (run in a child)."""


def ensure_graph(datasets: int, edges: int, keep: Path) -> Path:
    path = keep / f"graph-{datasets}-{edges}.lbug"
    if not path.exists():
        started = time.perf_counter()
        subprocess.run([sys.executable, str(HERE / "exposure_walk.py"), "_load", str(datasets), str(edges), "0",
                        str(path)], check=True)
        print(f"graph {datasets} datasets {edges} intervals: bulk load {time.perf_counter() - started:.1f} s",
              flush=True)
    return path


def bench(datasets: int, edges: int, origins: int, scans: int, keep: Path, budget: float,
          findings_out: Path | None, fmt: str = "table") -> None:
    graph = ensure_graph(datasets, edges, keep)
    with tempfile.TemporaryDirectory(prefix="scan-e2e-") as tmp:
        folder = Path(tmp)
        os.chmod(folder, 0o700)
        for source in graph.parent.glob(graph.name + "*"):  # the file and any sidecar (.wal)
            shutil.copy(source, folder / source.name.replace(graph.name, "graph.lbug"))
        (folder / "history.jsonl").write_text("")
        (folder / "config.yaml").write_text(
            "telemetry:\n  provider: file\n  path: history.jsonl\n"
            "graph:\n  type: embedded\n  path: graph.lbug\n"
            "compliance:\n  classification_db: 'sqlite:///registry.db'\n"
            f"monitoring:\n  slack_webhook: ''\n  alert_budget_seconds: {budget}\n")
        ids = [f"db.s.t{i:05d}" for i in range(origins)]  # exposure_walk.py's ids; low ids have the most downstream
        (folder / "origins.yaml").write_text(json.dumps({"assets": [
            {"catalog_path": i, "classification": "restricted", "regulatory_tags": ["pii"], "steward": "dpo@example.com"}
            for i in ids]}))
        run(["migrate"], folder, folder / "migrate.txt")
        run(["registry", "import", "origins.yaml"], folder, folder / "import.txt")
        label = f"{datasets} datasets {edges} intervals {origins} origins"
        helped = subprocess.run([str(CLI), "scan", "--help"], capture_output=True, text=True).stdout
        profile = ["--profile"] if "--profile" in helped else []  # an older revision: totals only
        for n in range(1, scans + 1):
            wall, cpu, rss, err = run(["scan", *profile, "--format", fmt], folder, folder / f"scan{n}.{fmt}")
            if fmt == "json":
                paths, digest = _count_rows(folder / f"scan{n}.json")
                said = f"{paths} paths (output sha256 {digest})"
            else:
                with (folder / f"scan{n}.table").open(errors="replace") as handle:
                    said = handle.readline().strip()  # "scanned N sensitive origins: P exposure paths; findings ..."
            print(f"{label}: scan {n} --format {fmt}: {wall:.1f} s wall, {cpu:.2f} s CPU, peak RSS {rss} MiB; "
                  f"{said}; load average {os.getloadavg()[0]:.1f}", flush=True)
            start = err.find("Where the scan spent")
            print(err[start:].rstrip() if start >= 0 else err[-2000:], flush=True)
        wall, cpu, rss, _ = run(["findings", "--format", "json"], folder, folder / "findings.json")
        count, timeless = subprocess.run(  # another process: this one stays small (see _count_rows)
            [sys.executable, "-c", _TIMELESS, str(folder / "findings.json")], check=True, capture_output=True,
            text=True).stdout.split()
        print(f"{label}: findings --format json: {wall:.1f} s wall, {cpu:.2f} s CPU, peak RSS {rss} MiB; "
              f"{count} findings, sha256 without the *_at times {timeless}", flush=True)
        if findings_out is not None:
            shutil.copy(folder / "findings.json", findings_out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000:1000000", help="DATASETS:EDGES,...")
    parser.add_argument("--origins", type=int, default=10)
    parser.add_argument("--scans", type=int, default=2, help="scans in a row (the first opens every finding)")
    parser.add_argument("--keep-graphs", help="folder to keep (and reuse) the bulk-loaded graphs in")
    parser.add_argument("--alert-budget", type=float, default=5.0, help="monitoring.alert_budget_seconds")
    parser.add_argument("--findings-out", type=Path, help="copy the findings export here (last size)")
    parser.add_argument("--format", choices=("table", "json"), default="table",
                        help="scan output: table (the user's default: counts and the 50 most severe paths) or json "
                             "(every path with its hops, hashed)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="scan-e2e-graphs-") as tmp:
        keep = Path(args.keep_graphs) if args.keep_graphs else Path(tmp)
        keep.mkdir(parents=True, exist_ok=True)
        for size in args.sizes.split(","):
            datasets, edges = (int(x) for x in size.split(":"))
            bench(datasets, edges, args.origins, args.scans, keep, args.alert_budget, args.findings_out, args.format)


if __name__ == "__main__":
    main()
