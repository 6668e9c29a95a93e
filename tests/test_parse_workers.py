"""Crawls parse in worker processes one batch ahead (issue 9 section 3, issue 13): results used in history order.

The graph, quarantine and watermark of a crawl with parse workers must be identical to a
one-process crawl's. A history is crawled with ``telemetry.parse_workers`` 1, 2 (the crawl's
process and one worker that follows its learned schema: the default on two cores) and 3 (two
workers on snapshots) through the installed command and the exports compared; in-process
crawls show the workers' results were actually used, and refused when the crawl's schema
answers otherwise (a test that would pass with the pool broken is a defect).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
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
    last = 0  # the table created last
    for i in range(1, n):
        if i % 3 == 0 or i % 10 == 0:  # SELECT * over the table created last (snapshots: refused at a chunk's start)
            rows.append(("INSERT", f"insert into db.s.copy{i} select * from db.s.t{last}"))
        elif i % 7 == 0:
            rows.append(("INSERT", f"insert into db.s.t{i} select nope from"))  # quarantined
        else:
            rows.append(("CREATE_TABLE_AS_SELECT",
                         f"create or replace table db.s.t{i} as with c as (select * from db.s.t{last}) "
                         f"select id, sha2(email) as email, amount * {i} as amount from c where id > {i}"))
            last = i
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


def test_parse_workers_export_the_same_graph_as_one_process(tmp_path: Path) -> None:
    history = write_history(tmp_path / "history.jsonl", _rows(), T0)
    one = _crawl_and_export(tmp_path / "one", history, 1)
    assert one[0].strip() and one[1].strip()
    for workers in (2, 3):
        other = _crawl_and_export(tmp_path / f"w{workers}", history, workers)
        assert [json.loads(line) for line in other[0].splitlines()] == [json.loads(line) for line in one[0].splitlines()]
        assert [json.loads(line) for line in other[1].splitlines()] == [json.loads(line) for line in one[1].splitlines()]
        assert other[2] == one[2]  # the same quarantine


def _crawl_in_process(folder: Path, history: Path, workers: int) -> tuple[object, list[str]]:
    folder.mkdir()
    store = open_graph_store("embedded", path=folder / "graph")
    registry = Registry(f"sqlite:///{folder / 'registry.db'}")
    registry.migrate()
    report = crawl_once(FileQueryHistorySource(history), store, registry,
                        CrawlOptions(batch_size=100, parse_workers=workers))
    edges = sorted(map(repr, store.iter_column_edges()))
    store.close()
    return report, edges


def test_the_workers_results_are_used_and_match_a_one_process_crawl(tmp_path: Path) -> None:
    history = write_history(tmp_path / "history.jsonl", _rows(), T0)
    (one, edges), (follow, follow_edges), (snap, snap_edges) = (
        _crawl_in_process(tmp_path / f"w{workers}", history, workers) for workers in (1, 2, 3))
    assert one.prefetched == 0
    # one worker follows the crawl's learned schema, even through columns a row of the same batch defined
    assert follow.prefetched == follow.statements_parsed and follow.prefetch_refused == 0
    # two workers parse chunks against a snapshot: rows that need columns an earlier chunk defined are re-parsed
    assert 0 < snap.prefetched < snap.statements_parsed and snap.prefetch_refused > 0
    assert one.quarantined > 0
    for report, found in ((follow, follow_edges), (snap, snap_edges)):
        assert found == edges
        assert (report.events, report.quarantined, report.watermark) == (one.events, one.quarantined, one.watermark)


def test_a_worker_whose_schema_went_another_way_is_refused_and_given_the_crawls(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A row the worker fails on (a fault injected into worker processes only, by sitecustomize)
    but the crawl's process parses: the worker learns nothing from it, its answers about that
    table differ, its results are refused, and the batch after is handed out again with the
    crawl's schema (later rows used again). The graph is the one-process crawl's."""
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    (hooks / "sitecustomize.py").write_text(textwrap.dedent("""
        import multiprocessing
        import lineage_engine.parse_cache as parse_cache
        real = parse_cache.extract_lineage
        def extract_lineage(text, **kwargs):
            if "boom" in text and multiprocessing.parent_process() is not None:  # a parse worker only
                raise KeyError("injected")
            return real(text, **kwargs)
        parse_cache.extract_lineage = extract_lineage
    """))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in (str(hooks), os.environ.get("PYTHONPATH", "")) if p))
    rows = [("CREATE_TABLE_AS_SELECT", "create or replace table db.s.k as select id, email from db.s.src /* boom */")]
    for i in range(1, 300):
        rows.append(("INSERT", f"insert into db.s.out{i} select * from db.s.k where id > {i}") if i % 10 == 0
                    else ("CREATE_TABLE_AS_SELECT", f"create or replace table db.s.t{i} as select id, email from db.s.src{i}"))
    history = write_history(tmp_path / "history.jsonl", rows, T0)
    (one, edges), (follow, follow_edges) = (_crawl_in_process(tmp_path / f"w{w}", history, w) for w in (1, 2))
    assert one.internal_errors == follow.internal_errors == 0
    assert follow_edges == edges and follow.events == one.events
    assert any("db.s.k" in edge and "email" in edge for edge in edges)  # SELECT * expanded with k's columns
    # batch 1's SELECT * rows are refused and the worker given the crawl's schema: from batch 2 on, used
    assert follow.prefetch_refused == 9
    assert follow.prefetched == follow.statements_parsed - 1 - 9
