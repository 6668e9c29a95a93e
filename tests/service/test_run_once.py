"""``lineage-engine run --once`` on the bundled sample (file source): every job once, then exit."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.waiting import HANG_SECONDS

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "config" / "sample"


def _cli(config: Path, *args: str, timeout: float = HANG_SECONDS) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("lineage-engine")
    return subprocess.run([str(exe), "--config", str(config), *args], capture_output=True, text=True,
                          timeout=timeout, cwd=config.parent, env={**os.environ, "COLUMNS": "200"})


def test_run_once_runs_every_job_and_exits_zero(tmp_path: Path) -> None:
    config = tmp_path / "lineage-engine.config.yaml"
    config.write_text(
        f"telemetry: {{provider: file, path: '{SAMPLE / 'query_history.jsonl'}'}}\n"
        "graph: {type: embedded, path: state/graph}\n"
        'compliance: {classification_db: "sqlite:///state/registry.db"}\n'
        "monitoring: {log_format: json, metrics_port: 0}\n"
    )
    assert _cli(config, "registry", "import", str(SAMPLE / "classifications.yaml")).returncode == 0
    result = _cli(config, "run", "--once")
    assert result.returncode == 0, result.stderr[-2000:]
    lines = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    finished = {line["job"]: line["outcome"] for line in lines if line.get("event") == "job_finished"}
    assert finished == {"crawl": "ok", "exposure_scan": "ok", "classification_sync": "ok", "steward_check": "ok"}
    crawl = next(line for line in lines if line.get("event") == "crawl_finished")
    assert crawl["rows_read"] == 607 and crawl["edges_created"] > 0
    scan = next(line for line in lines if line.get("event") == "scan_finished")
    assert scan["opened"] > 0  # the sample's unmasked PII paths
    steward = next(line for line in lines if line.get("event") == "steward_checked")
    assert steward["queued"] >= 1 and "asset: prod_db.raw.support_tickets" in result.stdout  # console alert: no steward
    # Query text (with its literals) never reaches the logs.
    assert "jane.doe@example.com" not in result.stderr and "insert into" not in result.stderr.lower()
    # --once does not keep a port open and leaves nothing to do on a second run.
    again = _cli(config, "run", "--once")
    assert again.returncode == 0
    rerun = next(json.loads(line) for line in again.stderr.splitlines() if '"crawl_finished"' in line)
    assert rerun["rows_read"] == 0
