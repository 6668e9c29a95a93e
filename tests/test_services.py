"""Service wiring: the console notifier works when no console is handed in (headless runs)."""

from __future__ import annotations

from pathlib import Path

import pytest

from lineage_engine import services
from lineage_engine.settings import load_settings


def test_console_notifier_without_a_console_prints_to_stdout(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "lineage-engine.config.yaml"
    config.write_text("monitoring: {slack_webhook: ''}\n")
    notifier = services.notifier(load_settings(config))
    notifier.send_alert("unmasked_pii", {"severity": "HIGH", "origin": "d.s.a", "terminal": "d.s.b",
                                          "path": ["d.s.b", "d.s.a"], "regulatory_tags": ["pii"]})
    assert "d.s.a → d.s.b" in capsys.readouterr().out
