from __future__ import annotations

from datetime import datetime, timezone

from rich.console import Console

from lineage_engine.alerts import Notifier
from lineage_engine.alerts.console import ConsoleNotifier
from lineage_engine.alerts.outbox import deliver_outbox
from lineage_engine.alerts.slack import SlackNotifier
from lineage_engine.errors import DeliveryError

NOW = datetime(2024, 3, 14, tzinfo=timezone.utc)


def test_notifiers_satisfy_protocol():
    assert isinstance(ConsoleNotifier(Console()), Notifier)
    assert isinstance(SlackNotifier("http://127.0.0.1:9/x"), Notifier)


def test_console_prints_compact_panel_without_secrets():
    console = Console(record=True, width=120, color_system=None)
    notifier = ConsoleNotifier(console)
    notifier.send_alert("unmasked_pii", {
        "origin": "db.raw.c", "terminal": "db.mart.x", "path": ["db.mart.x", "db.stg.c", "db.raw.c"],
        "regulatory_tags": ["pii"], "steward": None, "severity": "HIGH", "level": "table",
        "opened_at": "2024-03-14T00:00:00+00:00",
    })
    notifier.send_alert("failed_backfill", {"window": "[w1]", "password": "hunter2"})
    out = console.export_text()
    assert "HIGH · unmasked PII path" in out
    assert "db.raw.c → db.stg.c → db.mart.x" in out
    assert "steward: NONE (assign one)" in out
    assert "window: [w1]" in out  # rich markup in values is escaped, not interpreted
    assert "hunter2" not in out and "[redacted]" in out


class Flaky:
    """A notifier that fails on chosen payloads, recording what it sent."""

    def __init__(self, bad: set[str], crash: set[str] = frozenset()):
        self.bad, self.crash, self.sent = bad, crash, []

    def send_alert(self, kind, payload):
        if payload["k"] in self.crash:
            raise TypeError("renderer bug")
        if payload["k"] in self.bad:
            raise DeliveryError("test", f"refused {payload['k']}")
        self.sent.append(payload["k"])


def test_failure_and_crash_do_not_block_the_rest(registry):
    for k in ("a", "b", "c"):
        registry.enqueue_alert("steward_missing", k, {"k": k})
    notifier = Flaky(bad={"a"}, crash={"b"})
    report = deliver_outbox(registry, notifier, now=NOW)
    assert notifier.sent == ["c"]
    assert (report.delivered, report.failed, report.pending) == (1, 2, 2)
    errors = {a.dedupe_key: a.last_error for a in registry.pending_alerts()}
    assert errors == {"a": "refused a", "b": "internal error (TypeError); see the service log"}
