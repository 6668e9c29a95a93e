"""Crawls parse on every core (issue 9 section 3): a process pool, results used in history order.

The graph, quarantine and watermark of a crawl with two parse workers must be identical to
a one-worker crawl's. The sample history is crawled both ways through the installed command
(``telemetry.parse_workers``) and the exports compared; an in-process crawl shows the
workers' results were actually used (a test that would pass with the pool broken is a defect).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

from lineage_engine.graph.store import open_graph_store
from lineage_engine.pipeline import CrawlOptions, crawl_once
from lineage_engine.registry.repository import Registry
from lineage_engine.sources.file import FileQueryHistorySource
from tests.history_file import write_history

T0 = datetime(2026, 3, 1, tzinfo=timezone.utc)


def _rows(n: int = 160) -> list[tuple[str, str]]:
    """A history of ``n`` distinct statements where later rows need columns learned from earlier ones."""
    rows = [("CREATE_TABLE_AS_SELECT", "create or replace table db.s.t0 as select id, email, amount from db.s.src")]
    for i in range(1, n):
        if i % 3 == 0:  # SELECT * over a table a row of this batch created: the worker's snapshot lacks it
            rows.append(("INSERT", f"insert into db.s.copy{i} select * from db.s.t{i - 1}"))
        elif i % 7 == 0:
            rows.append(("INSERT", f"insert into db.s.t{i} select nope from"))  # quarantined
        else:
            rows.append(("CREATE_TABLE_AS_SELECT",
                         f"create or replace table db.s.t{i} as with c as (select * from db.s.t{i - 1}) "
                         f"select id, sha2(email) as email, amount * {i} as amount from c where id > {i}"))
    return rows


def _command() -> list[str]:
    found = shutil.which("lineage-engine", path=str(Path(sys.executable).parent))
    return [found] if found else [sys.executable, "-m", "lineage_engine"]


def _crawl_and_export(folder: Path, history: Path, workers: int) -> tuple[str, str, str]:
    folder.mkdir()
    config = folder / "lineage-engine.config.yaml"
    config.write_text(
        f"telemetry: {{provider: file, path: '{history}', batch_size: 100, parse_workers: {workers}}}\n"
        "graph: {type: embedded, path: .lineage/graph}\n"
        'compliance: {classification_db: "sqlite:///.lineage/registry.db"}\n'
        "monitoring: {slack_webhook: ''}\n",
        encoding="utf-8",
    )
    env = {**os.environ, "NO_COLOR": "1"}
    outputs = []
    for args in (["crawl"], ["export", "edges", "--output", "d.jsonl"],
                 ["export", "edges", "--level", "column", "--output", "c.jsonl"], ["quarantine"]):
        result = subprocess.run([*_command(), "--config", str(config), *args], cwd=folder, env=env,
                                capture_output=True, text=True, timeout=900)
        assert result.returncode == 0, result.stdout + result.stderr
        outputs.append(result.stdout)
    return (folder / "d.jsonl").read_text(), (folder / "c.jsonl").read_text(), outputs[3]


def test_two_parse_workers_export_the_same_graph_as_one(tmp_path: Path) -> None:
    history = write_history(tmp_path / "history.jsonl", _rows(), T0)
    one = _crawl_and_export(tmp_path / "one", history, 1)
    two = _crawl_and_export(tmp_path / "two", history, 2)
    assert one[0].strip() and one[1].strip()
    assert [json.loads(line) for line in two[0].splitlines()] == [json.loads(line) for line in one[0].splitlines()]
    assert [json.loads(line) for line in two[1].splitlines()] == [json.loads(line) for line in one[1].splitlines()]
    assert two[2] == one[2]  # the same quarantine


def test_the_workers_results_are_used_and_match_a_one_worker_crawl(tmp_path: Path) -> None:
    history = write_history(tmp_path / "history.jsonl", _rows(), T0)
    reports, edges = [], []
    for workers in (1, 2):
        folder = tmp_path / f"w{workers}"
        folder.mkdir()
        store = open_graph_store("embedded", path=folder / "graph")
        registry = Registry(f"sqlite:///{folder / 'registry.db'}")
        registry.migrate()
        reports.append(crawl_once(FileQueryHistorySource(history), store, registry,
                                  CrawlOptions(batch_size=100, parse_workers=workers)))
        edges.append(sorted(map(repr, store.iter_column_edges())))
        store.close()
    # some rows need columns a row of their own batch defined: the workers' guess is refused, the row re-parsed
    assert reports[0].prefetched == 0 and 0 < reports[1].prefetched < reports[1].statements_parsed
    assert reports[1].quarantined > 0
    assert edges[1] == edges[0]
    assert (reports[1].events, reports[1].quarantined, reports[1].watermark) == (
        reports[0].events, reports[0].quarantined, reports[0].watermark)
