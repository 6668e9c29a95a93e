"""An open finding's ``last_seen_at`` is the last scan's instant, a resolved one's the last scan that
saw it (issue 13 §6: a steady scan no longer rewrites the findings it finds unchanged), through
the installed command: ``findings show``, the evidence pack's ledger, ``findings verify``."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

from tests.cli_run import file_config, run_cli
from tests.test_findings_triage_cli import REGISTRY, write_history

NOT_SENSITIVE = """assets:
  - catalog_path: DB.S.CUSTOMERS.EMAIL
    classification: internal
    regulatory_tags: []
    steward: dpo@example.com
"""


def _scan(config: Path) -> tuple[datetime, datetime]:
    """Run ``scan``; return the instants before and after it (its clock is between them)."""
    before = datetime.now(timezone.utc)
    run_cli(config, "scan")
    return before, datetime.now(timezone.utc)


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _listed(config: Path) -> dict[int, dict[str, str]]:
    """Return the findings by id as ``findings show`` gives them, checked equal in an evidence pack."""
    ids = [row["id"] for row in json.loads(run_cli(config, "findings", "--format", "json").stdout)]
    shown = {i: json.loads(run_cli(config, "findings", "show", str(i), "--format", "json").stdout) for i in ids}
    pack = config.parent / f"pack-{len(list(config.parent.glob('pack-*')))}"
    run_cli(config, "evidence", "--as-of", datetime.now(timezone.utc).isoformat(), "--out", str(pack))
    ledger = {f["id"]: f for f in json.loads((pack / "findings.json").read_text())["findings"]}
    for finding_id, finding in shown.items():  # every reader says the same
        assert _at(ledger[finding_id]["last_seen_at"]) == _at(finding["last_seen_at"])
    return shown


def test_last_seen_follows_the_scans_that_see_a_finding(tmp_path: Path) -> None:
    config = file_config(tmp_path, write_history(tmp_path / "history.jsonl"))
    (tmp_path / "registry.yaml").write_text(REGISTRY)
    run_cli(config, "migrate")
    run_cli(config, "registry", "import", str(tmp_path / "registry.yaml"))
    run_cli(config, "crawl")
    _scan(config)
    first = _listed(config)
    assert [row["status"] for row in first.values()] == ["open"]

    before, after = _scan(config)  # nothing changed: the finding is seen again
    again = _listed(config)
    (finding_id, row), = again.items()
    seen = _at(row["last_seen_at"])
    assert before <= seen <= after and row["opened_at"] == first[finding_id]["opened_at"]

    (tmp_path / "registry.yaml").write_text(NOT_SENSITIVE)  # the origin is no longer sensitive: resolved
    run_cli(config, "registry", "import", str(tmp_path / "registry.yaml"))
    before, after = _scan(config)
    resolved = _listed(config)[finding_id]
    assert resolved["status"] == "resolved" and before <= _at(resolved["resolved_at"]) <= after
    assert resolved["last_seen_at"] == row["last_seen_at"]  # the last scan that saw it, not the first
    verified = run_cli(config, "findings", "verify")
    assert "intact" in verified.stdout, verified.stdout
