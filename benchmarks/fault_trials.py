"""Fault trials (issue 11): kill -9 a crawl or a scan at random moments, resume, compare.

Two trials, both through the installed ``lineage-engine`` command, as a user runs it:

``crawl``: for each batch size (default 100 and 1000) one clean crawl of the history (default:
the solana-models corpus) gives the reference export (dataset and column edges); then each
trial crawls a fresh store, is killed with SIGKILL (with its parse workers) once its committed
watermark passed a random row plus a random 0-3 s (so mid-batch or mid-commit), is resumed with a plain ``crawl``, and its export is compared with the reference.

``alerts``: the bundled sample (18 exposure findings) is crawled once; each trial copies it,
runs ``scan`` against a local HTTP server standing in for Slack's webhook (each post held
20-150 ms, as a slow Slack would), kills the scan with SIGKILL after a random number of
posts and a random delay (so the kill lands during a post or between two), then runs
``scan`` again. Counts per trial: alerts received, duplicates (the same alert id twice),
lost alerts (never received).

Usage (figures printed as one JSON object per trial and a summary)::

    python benchmarks/fault_trials.py crawl --trials 10 [--batch-sizes 100,1000] [--rows N]
    python benchmarks/scale_history.py 100000 -o /tmp/h100k.jsonl
    python benchmarks/fault_trials.py crawl --history /tmp/h100k.jsonl --trials 3 --batch-sizes 1000
    python benchmarks/fault_trials.py alerts --trials 20

Runs minutes (the crawl trial re-crawls the corpus about once per trial): not a CI test.
The CI versions are ``tests/faults/`` and ``tests/alerts/test_delivery_cli.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpora" / "solana-models" / "query_history.jsonl"
SAMPLE = ROOT / "config" / "sample"
COMMAND = shutil.which("lineage-engine", path=str(Path(sys.executable).parent)) or "lineage-engine"
ALERT_ID = re.compile(r"alert #(\d+)")


def environment(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINEAGE_ENGINE_") and k != "SLACK_WEBHOOK_URL"}
    env.update(extra)
    return env


def write_config(folder: Path, history: Path, batch_size: int, workers: int | None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "lineage-engine.config.yaml"
    parse = f", parse_workers: {workers}" if workers else ""
    config.write_text(
        f"telemetry: {{provider: file, path: '{history}', batch_size: {batch_size}{parse}}}\n"
        "graph: {type: embedded, path: .lineage/graph}\n"
        'compliance: {classification_db: "sqlite:///.lineage/registry.db"}\n'
        "monitoring: {slack_webhook: ''}\n", encoding="utf-8")
    return config


def cli(config: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([COMMAND, "--config", str(config), *args], cwd=config.parent, capture_output=True,
                            text=True, env=env or environment())
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed ({result.returncode}): {result.stderr.strip()[-500:]}")
    return result


def export(config: Path) -> tuple[str, str]:
    """Return the dataset and the column edge exports (JSON Lines text)."""
    texts = []
    for level in ("dataset", "column"):
        out = config.parent / f"edges-{level}.jsonl"
        cli(config, "export", "edges", "--level", level, "--output", str(out))
        texts.append(out.read_text(encoding="utf-8"))
    return texts[0], texts[1]


def rows_committed(config: Path) -> int | None:
    try:
        with sqlite3.connect(config.parent / ".lineage" / "registry.db") as db:
            row = db.execute("select max(rows_total) from crawl_state").fetchone()
    except sqlite3.Error:
        return None
    return row[0] if row else None


def crawl_trials(args: argparse.Namespace) -> dict[str, object]:
    work = Path(args.keep or tempfile.mkdtemp(prefix="fault-trials-"))
    history = args.history.resolve() if args.history else CORPUS
    if args.rows:
        history = work / "history.jsonl"
        with (args.history or CORPUS).open(encoding="utf-8") as source, history.open("w", encoding="utf-8") as target:
            for _, line in zip(range(args.rows), source, strict=False):
                target.write(line)
    rng = random.Random(args.seed)
    sizes = [int(s) for s in args.batch_sizes.split(",")]
    total_rows = sum(1 for line in history.open(encoding="utf-8") if line.strip())
    reference: dict[int, tuple[tuple[str, str], float]] = {}
    for size in sizes:
        folder = work / f"clean-{size}"
        saved = folder / "clean.json"
        if saved.exists():  # a kept work folder: reuse its clean run
            figures = json.loads(saved.read_text(encoding="utf-8"))
            config = folder / "lineage-engine.config.yaml"
            reference[size] = ((folder.joinpath("edges-dataset.jsonl").read_text(encoding="utf-8"),
                                folder.joinpath("edges-column.jsonl").read_text(encoding="utf-8")), figures["seconds"])
        else:
            config = write_config(folder, history, size, args.workers)
            started = time.monotonic()
            cli(config, "crawl")
            reference[size] = (export(config), time.monotonic() - started)
            saved.write_text(json.dumps({"seconds": reference[size][1]}), encoding="utf-8")
        print(json.dumps({"clean": size, "seconds": round(reference[size][1], 1),
                          "dataset_edges": reference[size][0][0].count("\n"),
                          "column_edges": reference[size][0][1].count("\n")}), flush=True)
    results = []
    for trial in range(args.trials):
        size = sizes[trial % len(sizes)]
        expected = reference[size][0]
        folder = work / f"trial-{trial}"
        shutil.rmtree(folder, ignore_errors=True)
        config = write_config(folder, history, size, args.workers)
        # Kill at a random point of the history, whatever the machine's speed: once the
        # committed watermark passes a random row, plus a random 0-3 s (mid-batch, mid-commit).
        target = rng.randint(1, max(1, total_rows - 2 * size))
        extra = rng.uniform(0.0, 3.0)
        process = subprocess.Popen([COMMAND, "--config", str(config), "crawl"], cwd=config.parent,
                                   env=environment(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                   start_new_session=True)
        while process.poll() is None and (rows_committed(config) or 0) < target:
            time.sleep(0.2)
        time.sleep(extra)
        finished_first = process.poll() is not None
        if not finished_first:
            os.killpg(process.pid, signal.SIGKILL)  # the crawl and its parse workers, as a power cut would
        process.wait()
        kill_at = target
        committed = rows_committed(config)
        cli(config, "crawl")  # resume
        got = export(config)
        result = {"trial": trial, "batch_size": size, "kill_after_row": kill_at, "extra_s": round(extra, 2),
                  "killed": not finished_first, "rows_committed_at_kill": committed,
                  "dataset_edges_identical": got[0] == expected[0], "column_edges_identical": got[1] == expected[1]}
        results.append(result)
        print(json.dumps(result), flush=True)
        if not args.keep and result["dataset_edges_identical"] and result["column_edges_identical"]:
            shutil.rmtree(config.parent, ignore_errors=True)
    identical = sum(r["dataset_edges_identical"] and r["column_edges_identical"] for r in results)
    summary = {"summary": "crawl", "history": str(history), "trials": len(results),
               "killed": sum(bool(r["killed"]) for r in results), "identical": identical,
               "batch_sizes": sizes, "work": str(work)}
    if not args.keep and identical == len(results):
        shutil.rmtree(work, ignore_errors=True)
    return summary


class _Slack:
    """A local webhook that holds each post 20-150 ms and records the alert ids it received."""

    def __init__(self, rng: random.Random) -> None:
        self.ids: list[int] = []
        self.posted = threading.Condition()
        state = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server API
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                time.sleep(rng.uniform(0.02, 0.15))
                match = ALERT_ID.search(body.get("text", ""))
                with state.posted:
                    state.ids.append(int(match.group(1)) if match else -1)
                    state.posted.notify_all()
                try:
                    self.send_response(200)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                except OSError:
                    pass  # the scan was killed while Slack held its post: Slack took it all the same

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/services/T0/B0/trial"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def wait_for(self, posts: int, timeout: float) -> bool:
        with self.posted:
            return self.posted.wait_for(lambda: len(self.ids) >= posts, timeout)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def alert_trials(args: argparse.Namespace) -> dict[str, object]:
    work = Path(args.keep or tempfile.mkdtemp(prefix="fault-alerts-"))
    template = write_config(work / "template", SAMPLE / "query_history.jsonl", 1000, 1)
    cli(template, "registry", "import", str(SAMPLE / "classifications.yaml"))
    cli(template, "crawl")
    rng = random.Random(args.seed)
    totals: Counter[str] = Counter()
    for trial in range(args.trials):
        folder = work / f"trial-{trial}"
        shutil.copytree(template.parent, folder)
        config = folder / template.name
        slack = _Slack(rng)
        env = environment(LINEAGE_ENGINE_MONITORING__SLACK_WEBHOOK=slack.url)
        after = rng.randint(1, 17)
        process = subprocess.Popen([COMMAND, "--config", str(config), "scan"], cwd=folder, env=env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        reached = slack.wait_for(after, 300)
        time.sleep(rng.uniform(0.0, 0.15))  # land the kill during a post or between two
        process.send_signal(signal.SIGKILL)
        process.wait()
        before_resume = len(slack.ids)
        resumed = cli(config, "scan", env=env).stdout
        slack.close()
        with sqlite3.connect(folder / ".lineage" / "registry.db") as db:
            alerts = {row[0] for row in db.execute("select id from alert_outbox")}
            pending = db.execute("select count(*) from alert_outbox where delivered_at is null").fetchone()[0]
        counts = Counter(slack.ids)
        said = re.search(r"(\d+) sent again after a post", " ".join(resumed.split()))
        result = {"trial": trial, "kill_after_posts": after, "reached": reached, "posts_before_kill": before_resume,
                  "alerts": len(alerts), "received": len(slack.ids),
                  "duplicates": sum(n - 1 for n in counts.values() if n > 1),
                  "lost": len(alerts - set(counts)), "pending_after_resume": pending,
                  "resend_reported": int(said.group(1)) if said else 0}
        totals.update({k: int(v) for k, v in result.items() if k in ("alerts", "received", "duplicates", "lost")})
        totals["trials_with_duplicate"] += result["duplicates"] > 0
        print(json.dumps(result), flush=True)
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return {"summary": "alerts", "trials": args.trials, **totals}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("trial", choices=("crawl", "alerts"))
    parser.add_argument("--trials", type=int, default=10)
    parser.add_argument("--batch-sizes", default="100,1000", help="crawl: comma-separated telemetry.batch_size values")
    parser.add_argument("--rows", type=int, default=0, help="crawl: only the first N rows of the history (0: all)")
    parser.add_argument("--history", type=Path, help="crawl: this history file instead of the solana-models corpus "
                        "(e.g. 100,000 rows from benchmarks/scale_history.py)")
    parser.add_argument("--workers", type=int, default=0, help="crawl: telemetry.parse_workers (0: the default)")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    args = parser.parse_args()
    summary = crawl_trials(args) if args.trial == "crawl" else alert_trials(args)
    print(json.dumps(summary), flush=True)
    failed = summary.get("identical", summary.get("trials")) != summary.get("trials") or summary.get("lost", 0)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
