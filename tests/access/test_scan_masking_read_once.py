"""One scan reads the masking policies once (issue 13 §6): drift, the walk, shares and boundaries share them.

Before, ``MaskingInputs(registry)`` was built by the scan and again by drift, shares and boundaries:
with policies in force each build read every policy body and every recorded column read. The
installation below has all four users of it (a masking policy on the origin column, a copy by a role
the policy masks, a share grant and a boundary rule); the scan's findings are what the installed
command reports (checked here too), and the registry's policy reads happen once.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from lineage_engine.registry.repository import Registry
from tests.access.test_boundaries_cli import HISTORY, REGISTRY, RULES, _row
from tests.cli_run import run_cli
from tests.cli_setup import crawled_installation
from tests.test_policy_history_cli import POLICY

MASKED = [
    _row("p1", "2026-11-01T08:02:00Z", POLICY, "CREATE_MASKING_POLICY"),
    _row("p2", "2026-11-01T08:03:00Z",
         "alter table eu_db.crm.customers modify column email set masking policy gov.email_mask", "ALTER_TABLE"),
]
SHARED = _row("s2", "2026-11-04T10:00:00Z", "grant select on table eu_db.marts.cards_copy to share partner", "GRANT")


def test_a_scan_reads_the_masking_policies_once_for_drift_walk_shares_and_boundaries(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    history = tmp_path / "history.jsonl"
    history.write_text("".join([*HISTORY[:2], *MASKED, *HISTORY[2:], SHARED]), encoding="utf-8")
    config = crawled_installation(tmp_path, history, REGISTRY)
    config.write_text(config.read_text().replace(
        'compliance: {classification_db: "sqlite:///.lineage/registry.db"}\n', RULES))
    as_of = json.loads(run_cli(config, "scan", "--as-of", "2026-12-01T00:00:00Z", "--format", "json").stdout)
    reported = sorted((r["origin"], r["terminal"]) for r in as_of)
    assert reported.count(("eu_db.pay.cards.pan", "eu_db.marts.cards_copy.pan")) == 2  # exposure and boundary
    assert ("eu_db.pay.cards.pan", "share:PARTNER") in reported  # share egress (and boundary)
    assert not [t for o, t in reported if o.endswith("email")]  # copied by TRANSFORMER, whom the policy masks

    calls: dict[str, int] = {}

    def counted(name: str) -> Any:
        original = getattr(Registry, name)

        def wrapper(self: Registry, *args: Any, **kwargs: Any) -> Any:
            key = f"{name}({kwargs.get('fact', '')})" if name == "fact_history" else name
            calls[key] = calls.get(key, 0) + 1
            return original(self, *args, **kwargs)

        return wrapper

    for name in ("policy_bodies", "column_reads", "fact_history"):
        monkeypatch.setattr(Registry, name, counted(name))
    monkeypatch.chdir(tmp_path)
    from lineage_engine import services
    from lineage_engine.settings import load_settings

    report = services.scan(load_settings(config))
    assert sorted((p.origin, p.terminal) for p in report.paths) == reported
    assert calls["policy_bodies"] == 1 and calls["column_reads"] == 1, calls
    assert calls["fact_history(masking_policy)"] == 1 and calls["fact_history(tag_masking_policy)"] == 1, calls
