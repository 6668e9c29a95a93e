"""``lineage-engine scan`` with Slack configured the README's way, against a real local webhook.

The user's own config has no ``monitoring`` section: ``monitoring.slack_webhook`` defaults to
``${SLACK_WEBHOOK_URL:-}`` in code, so exporting the variable is enough. A failed delivery makes
``scan`` exit 1 with one line (the alerts stay pending); the next scan delivers them.
"""

from __future__ import annotations

from pathlib import Path

from tests.alerts.conftest import SECRET_PATH
from tests.cli_run import environment, run_cli

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "config" / "sample"


def test_scan_alerts_slack_from_the_environment_and_fails_on_undelivered(tmp_path: Path, webhook) -> None:
    config = tmp_path / "my.config.yaml"
    config.write_text(  # no monitoring section: the default applies
        f"telemetry: {{provider: file, path: '{SAMPLE / 'query_history.jsonl'}'}}\n"
        "graph: {type: embedded, path: .lineage/graph}\n"
        'compliance: {classification_db: "sqlite:///.lineage/registry.db"}\n',
        encoding="utf-8",
    )
    env = environment(SLACK_WEBHOOK_URL=webhook.url)
    run_cli(config, "registry", "import", str(SAMPLE / "classifications.yaml"), env=env)
    run_cli(config, "crawl", env=env)

    webhook.status, webhook.reply = 500, "internal_error"
    failed = run_cli(config, "scan", check=False, env=env)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "alerts to Slack (127.0.0.1)" in failed.stdout
    errors = [line for line in failed.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and "could not be delivered to Slack" in errors[0] and "stay pending" in errors[0]
    assert "Traceback" not in failed.stderr
    attempted = len(webhook.posts)
    assert attempted > 0 and not webhook.accepted
    token = SECRET_PATH.rsplit("/", 1)[1]
    assert token not in failed.stdout + failed.stderr

    webhook.status, webhook.reply = 200, "ok"
    retried = run_cli(config, "scan", env=env)
    assert "alerts to Slack (127.0.0.1)" in retried.stdout
    assert len(webhook.accepted) >= attempted  # every pending alert went out on the next scan
    assert any("unmasked PII path" in body.get("text", "") for body in webhook.accepted)
