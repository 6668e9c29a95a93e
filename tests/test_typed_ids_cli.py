"""Quoted names holding dots stay one dataset / one column through crawl, graph and exposure (issue 9).

Runs the installed ``lineage-engine`` command on a small history: ``create table
db.s."a.b" as select "x.y" from ...`` must give the dataset ``db.s."a.b"`` (three parts)
and the column ``db.s."a.b"."x.y"``, and a classification on the quoted column path must
open a column-level finding downstream of it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

from tests.history_file import write_history

ROWS = [
    ("CREATE_TABLE_AS_SELECT", 'create table db.s."raw.people" as select email as "e.mail", id from db.s.src'),
    ("CREATE_TABLE_AS_SELECT", 'create table db.s."a.b" as select "e.mail" as "x.y", id from db.s."raw.people"'),
]


def _command() -> list[str]:
    found = shutil.which("lineage-engine", path=str(Path(sys.executable).parent))
    return [found] if found else [sys.executable, "-m", "lineage_engine"]


def _run(config: Path, *args: str) -> str:
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "200"}
    result = subprocess.run([*_command(), "--config", str(config), *args], cwd=config.parent, env=env,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_dotted_quoted_names_through_crawl_export_and_scan(tmp_path: Path) -> None:
    history = write_history(tmp_path / "history.jsonl", ROWS, datetime(2026, 3, 1, tzinfo=timezone.utc))
    (tmp_path / "assets.yaml").write_text(
        "assets:\n"
        "  - catalog_path: 'db.s.\"raw.people\".\"e.mail\"'\n"
        "    classification: restricted\n"
        "    regulatory_tags: [pii]\n"
        "    steward: privacy@example.com\n",
        encoding="utf-8",
    )
    config = tmp_path / "lineage-engine.config.yaml"
    config.write_text(
        f"telemetry: {{provider: file, path: '{history}'}}\n"
        "graph: {type: embedded, path: .lineage/graph}\n"
        'compliance: {classification_db: "sqlite:///.lineage/registry.db"}\n'
        "monitoring: {slack_webhook: ''}\n",
        encoding="utf-8",
    )
    _run(config, "migrate")
    _run(config, "crawl")
    edges = tmp_path / "edges.jsonl"
    _run(config, "export", "edges", "--output", str(edges))
    datasets = {(e["downstream"], e["upstream"]) for e in map(json.loads, edges.read_text().splitlines())}
    assert datasets == {('db.s."raw.people"', "db.s.src"), ('db.s."a.b"', 'db.s."raw.people"')}
    _run(config, "export", "edges", "--level", "column", "--output", str(edges))
    columns = {(e["downstream"], e["upstream"]) for e in map(json.loads, edges.read_text().splitlines())}
    assert columns == {
        ('db.s."raw.people"."e.mail"', "db.s.src.email"),
        ('db.s."raw.people".id', "db.s.src.id"),
        ('db.s."a.b"."x.y"', 'db.s."raw.people"."e.mail"'),
        ('db.s."a.b".id', 'db.s."raw.people".id'),
    }
    _run(config, "registry", "import", str(tmp_path / "assets.yaml"))
    _run(config, "scan")
    text = _run(config, "findings")
    # the terminal column, however the table wraps it: its quoted part is never split
    assert '"x.y"' in text and '"raw.people"' in text, text
