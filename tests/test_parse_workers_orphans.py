"""A crawl killed with SIGKILL leaves no parse worker behind (issue 13: replicas, kill -9).

``ProcessPoolExecutor`` workers wait for tasks on a queue whose other end their sibling workers
hold too, so a crawl killed outright (a lost replica, ``kill -9``, the OOM killer) left its
workers waiting for ever, each with its parse cache (about 200 MiB): four such orphans were found
on the development machine after an afternoon of killed benchmark crawls. A worker now ends once
the crawl that started it is gone.
"""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

from tests.history_file import write_history
from tests.test_parse_workers import T0, _command, _rows
from tests.waiting import wait_until


def _children(pid: int) -> set[int]:
    """Pids of the parse workers of process ``pid`` (multiprocessing spawn children)."""
    found = set()
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        for child in task.read_text().split():
            try:
                cmdline = Path(f"/proc/{child}/cmdline").read_bytes()
            except OSError:
                continue
            if b"multiprocessing" in cmdline:
                found.add(int(child))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_parse_workers_end_when_the_crawl_is_killed(tmp_path: Path) -> None:
    history = write_history(tmp_path / "history.jsonl", _rows(20_000), T0)  # long enough to be killed mid-way
    config = tmp_path / "lineage-engine.config.yaml"
    config.write_text(
        f"telemetry: {{provider: file, path: '{history}', batch_size: 100, parse_workers: 3}}\n"
        "graph: {type: embedded, path: .lineage/graph}\n"
        'compliance: {classification_db: "sqlite:///.lineage/registry.db"}\n'
        "monitoring: {slack_webhook: ''}\n", encoding="utf-8")
    crawl = subprocess.Popen([*_command(), "--config", str(config), "crawl"], cwd=tmp_path,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        workers = wait_until(lambda: _children(crawl.pid) if len(_children(crawl.pid)) >= 2 else None,
                             what="the crawl's two parse workers", alive=lambda: crawl.poll() is None)
        os.kill(crawl.pid, signal.SIGKILL)
        crawl.wait()
        wait_until(lambda: not any(_alive(w) for w in workers), what=f"parse workers {sorted(workers)} to end")
    finally:
        if crawl.poll() is None:
            crawl.kill()
        for w in _children(crawl.pid) if crawl.poll() is None else ():
            os.kill(w, signal.SIGKILL)
