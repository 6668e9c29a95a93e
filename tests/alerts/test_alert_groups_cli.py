"""Many findings of one origin in one scan are sent as one grouped alert (issue 13: alert floods).

A first scan of a real account opens a finding for every place a sensitive column reaches:
hundreds for one origin. One Slack message each flooded the channel and, at
``monitoring.alert_budget_seconds`` per scan, took days to deliver. More than
``monitoring.alert_group_above`` alerts of one origin and event now go out as one message that
counts them, lists the first few and names the command listing them all
(``findings --origin``); the ledger keeps every finding and an ``alerted`` event each.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.cli_run import run_cli
from tests.review.history import PII_TABLE, install

TWO_ORIGINS = (
    "assets:\n"
    "  - {catalog_path: DB.S.PII.EMAIL, classification: restricted, regulatory_tags: [pii], steward: dpo}\n"
    "  - {catalog_path: DB.S.PII.PHONE, classification: restricted, regulatory_tags: [pii], steward: dpo}\n"
)
ROWS = [
    ("09:00", "CREATE_TABLE", "create table db.s.pii (id int, email varchar, phone varchar)"),
    *[(f"09:0{n}", "CREATE_TABLE_AS_SELECT", f"create table db.s.mail{n} as select id, email from db.s.pii")
      for n in range(1, 6)],
    *[(f"09:1{n}", "CREATE_TABLE_AS_SELECT", f"create table db.s.call{n} as select id, phone from db.s.pii")
      for n in range(1, 3)],
]
assert PII_TABLE[0] == ROWS[0][0]


def _configured(folder: Path, webhook_url: str, group_above: int, boundaries: str = "") -> Path:
    config = install(folder, ROWS, TWO_ORIGINS)
    text = config.read_text(encoding="utf-8").replace(
        "monitoring: {slack_webhook: ''}", f"monitoring: {{slack_webhook: '{webhook_url}', alert_group_above: {group_above}}}")
    if boundaries:
        text = text.replace('compliance: {classification_db: "sqlite:///.lineage/registry.db"}',
                            'compliance: {classification_db: "sqlite:///.lineage/registry.db", boundaries: ' + boundaries + "}")
    config.write_text(text, encoding="utf-8")
    run_cli(config, "crawl")
    return config


def _findings(config: Path, *args: str) -> list[dict]:
    return json.loads(run_cli(config, "findings", *args, "--format", "json").stdout)


def test_more_findings_of_one_origin_than_the_threshold_go_out_as_one_alert(tmp_path: Path, webhook) -> None:
    config = _configured(tmp_path, webhook.url, group_above=3)
    run_cli(config, "scan")

    texts = [body.get("text", "") for body in webhook.accepted]
    assert len(texts) == 3, texts  # e-mail: 5 findings, one alert; phone: 2 findings, one alert each
    grouped = [body for body in webhook.accepted if "from one origin" in json.dumps(body)]
    assert len(grouped) == 1
    blocks = json.dumps(grouped[0]["blocks"])
    assert "5 from one origin" in blocks and "db.s.pii.email" in grouped[0]["text"]
    assert all(f"db.s.mail{n}" in blocks for n in range(1, 6))  # up to 8 terminals listed
    assert "lineage-engine findings --origin db.s.pii.email --status open" in blocks
    footer = grouped[0]["blocks"][-1]["elements"][0]["text"]  # the last block: alert #A · 5 findings · opened
    assert re.fullmatch(r"alert #\d+ · 5 findings · opened", footer), footer
    assert grouped[0]["text"].endswith(footer)
    singles = [t for t in texts if "db.s.pii.phone" in t]
    assert len(singles) == 2 and all("unmasked PII path" in t for t in singles)

    # the ledger keeps each finding, each with its alerted event naming the grouped alert
    mail = _findings(config, "--origin", "db.s.pii.email")
    assert sorted(f["terminal"] for f in mail) == [f"db.s.mail{n}.email" for n in range(1, 6)]
    keys = set()
    for finding in mail:
        shown = json.loads(run_cli(config, "findings", "show", str(finding["id"]), "--format", "json").stdout)
        alerted = [e for e in shown["events"] if e["event"] == "alerted"]
        assert len(alerted) == 1 and alerted[0]["details"]["grouped"] == 5
        keys.add(alerted[0]["details"]["dedupe_key"])
    assert len(keys) == 1
    assert len(_findings(config, "--origin", "db.s.pii")) == 7  # a dataset includes its columns
    assert run_cli(config, "findings", "verify").returncode == 0  # the event chain holds

    run_cli(config, "scan")  # nothing new: nothing sent again
    assert len(webhook.accepted) == 3


def test_zero_sends_one_alert_per_finding(tmp_path: Path, webhook) -> None:
    config = _configured(tmp_path, webhook.url, group_above=0)
    run_cli(config, "scan")
    texts = [body.get("text", "") for body in webhook.accepted]
    assert len(texts) == 7 and all("unmasked PII path" in t for t in texts)
    assert not any("from one origin" in json.dumps(body) for body in webhook.accepted)


def test_an_unknown_origin_names_the_closest(tmp_path: Path, webhook) -> None:
    config = _configured(tmp_path, webhook.url, group_above=3)
    run_cli(config, "scan")
    wrong = run_cli(config, "findings", "--origin", "db.s.pii.emial", check=False)
    assert wrong.returncode == 2, wrong.stdout + wrong.stderr
    assert "db.s.pii.email" in wrong.stderr and "Traceback" not in wrong.stderr


def test_crossings_of_two_boundary_rules_are_two_alerts_each_naming_its_rule(tmp_path: Path, webhook) -> None:
    """A boundary rule is the policy an operator set: a grouped alert names it (review s13 F10)."""
    rules = ('[{name: no-mail, origins: ["db.s.pii.*"], forbidden: ["db.s.mail*"]}, '
             '{name: no-first, origins: ["db.s.pii.*"], forbidden: ["db.s.mail1", "db.s.mail2", "db.s.mail3", '
             '"db.s.mail4"]}]')
    config = _configured(tmp_path, webhook.url, group_above=3, boundaries=rules)
    run_cli(config, "scan")
    crossings = [json.dumps(body) for body in webhook.accepted if "crossings of boundary" in json.dumps(body)]
    assert len(crossings) == 2, [body.get("text") for body in webhook.accepted]
    assert sum("crossings of boundary no-mail: 5 from one origin" in c for c in crossings) == 1
    assert sum("crossings of boundary no-first: 4 from one origin" in c for c in crossings) == 1


def test_findings_origin_takes_the_snowflake_spelling(tmp_path: Path, webhook) -> None:
    config = _configured(tmp_path, webhook.url, group_above=3)
    run_cli(config, "scan")
    assert len(_findings(config, "--origin", 'DB.S."PII".EMAIL')) == 5  # quoted parts, upper case (review s13 F4)
