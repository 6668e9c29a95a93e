"""Drift (issue 14 §5) through the installed command: ``drift --since`` and drift alerts posted by ``scan``
to a real local webhook: a new reader, a new copy and a new egress each alert once, naming the
statement's query id, user, role and time; the first check is a silent baseline."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.cli_run import environment, run_cli

REGISTRY = """
- {catalog_path: db.raw.customers.email, asset_type: column, classification: restricted, regulatory_tags: [pii]}
"""


def _row(query_id: str, at: str, text: str, query_type: str, user: str, role: str) -> str:
    return json.dumps({"query_id": query_id, "query_text": text, "query_type": query_type, "start_time": at,
                       "end_time": at, "execution_status": "SUCCESS", "database_name": "DB", "schema_name": "RAW",
                       "user_name": user, "role_name": role, "session_id": query_id}) + "\n"


FIRST = [
    _row("c1", "2026-11-01T08:00:00Z", "create table db.raw.customers (id int, email string)", "CREATE_TABLE",
         "LOADER", "SYSADMIN"),
    _row("a1", "2026-11-02T09:00:00Z", "select email from db.raw.customers", "SELECT", "ALICE", "ANALYST"),
    _row("m1", "2026-11-02T10:00:00Z", "create table db.marts.c2 as select id, email from db.raw.customers",
         "CREATE_TABLE_AS_SELECT", "DBT", "TRANSFORMER"),
]
SECOND = [
    _row("b1", "2026-11-05T09:00:00Z", "select email from db.marts.c2", "SELECT", "BOB", "ANALYST"),
    _row("m2", "2026-11-05T10:00:00Z", "create table db.marts.c3 as select email from db.marts.c2",
         "CREATE_TABLE_AS_SELECT", "DBT", "TRANSFORMER"),
    _row("u1", "2026-11-05T11:00:00Z", "copy into @db.raw.exports from (select email from db.marts.c3)", "UNLOAD",
         "EVE", "EXPORTER"),
]


def _installation(tmp_path: Path, webhook, registry: str, monitoring: str = "") -> tuple[Path, Path, dict[str, str]]:
    """Crawl and scan FIRST with ``registry`` imported and Slack at ``webhook``: (history, config, env)."""
    history = tmp_path / "history.jsonl"
    history.write_text("".join(FIRST), encoding="utf-8")
    (tmp_path / "registry.yaml").write_text(registry)
    config = tmp_path / "lineage-engine.config.yaml"
    config.write_text(f"telemetry: {{provider: file, path: '{history}'}}\n"
                      "graph: {type: embedded, path: .lineage/graph}\n"
                      'compliance: {classification_db: "sqlite:///.lineage/registry.db"}\n'
                      f"monitoring: {{slack_webhook: '{webhook.url}'{monitoring}}}\n", encoding="utf-8")
    env = environment()
    for args in (("migrate",), ("registry", "import", str(tmp_path / "registry.yaml")), ("crawl",), ("scan",)):
        run_cli(config, *args, env=env)
    return history, config, env


def _drift_posts(webhook) -> list[str]:
    return [b.get("text", "") for b in webhook.accepted if b.get("text", "").startswith("Drift")]


def test_drift_alerts_once_with_the_statement_and_drift_lists_changes_since(tmp_path: Path, webhook) -> None:
    history, config, env = _installation(tmp_path, webhook, REGISTRY)

    def drift_posts() -> list[str]:
        return _drift_posts(webhook)

    assert webhook.accepted and drift_posts() == []  # the first check is a baseline: no drift alert

    with history.open("a", encoding="utf-8") as out:
        out.write("".join(SECOND))
    run_cli(config, "crawl", env=env)
    run_cli(config, "scan", env=env)
    posts = drift_posts()
    joined = "\n".join(posts)
    assert len(posts) == 4, joined
    assert "new principal read sensitive data" in joined and "BOB" in joined and "b1" in joined
    assert "left the account" in joined and "@db.raw.exports.email" in joined and "u1" in joined
    assert "EVE" in joined and "EXPORTER" in joined and "2026-11-05T11:00:00+00:00" in joined
    assert "db.marts.c3.email" in joined and "m2" in joined and "TRANSFORMER" in joined

    run_cli(config, "scan", env=env)
    assert len(drift_posts()) == 4  # nothing new: no repeat

    rows = json.loads(run_cli(config, "drift", "--since", "2026-11-04", "--format", "json", env=env).stdout)
    got = [(r["kind"], r["new"], r["query_id"], r["user"], r["role"]) for r in rows]
    assert got == [
        ("new_reader", "BOB", "b1", "BOB", "ANALYST"),
        ("new_terminal", "db.marts.c3.email", "m2", "DBT", "TRANSFORMER"),
        ("new_egress", "@db.raw.exports.email", "u1", "EVE", "EXPORTER"),
        ("new_reader", "EVE", "u1", "EVE", "EXPORTER"),
    ], rows
    every = json.loads(run_cli(config, "drift", "--since", "2026-11-01", "--format", "json", env=env).stdout)
    assert {(r["kind"], r["new"]) for r in every} >= {("new_reader", "ALICE"), ("new_terminal", "db.marts.c2.email")}
    bad = run_cli(config, "drift", "--since", "soon", check=False, env=env)
    assert bad.returncode == 2 and "--since" in bad.stderr


def test_drift_of_a_dataset_origin_explains_only_new_arrivals_and_alerts_them_once(tmp_path: Path, webhook) -> None:
    """A table-level origin: its walk is read in compact columns and a steady check explains nothing
    (issue 13 §6); an arrival after the baseline still alerts once with its statement, user and role."""
    history, config, env = _installation(
        tmp_path, webhook, "- {catalog_path: db.raw.customers, classification: restricted, regulatory_tags: [pii]}\n")

    def drift_posts() -> list[str]:
        return _drift_posts(webhook)

    assert drift_posts() == []  # baseline
    run_cli(config, "scan", env=env)
    assert drift_posts() == []  # steady: every arrival known

    with history.open("a", encoding="utf-8") as out:
        out.write("".join(SECOND))
    run_cli(config, "crawl", env=env)
    run_cli(config, "scan", env=env)
    joined = "\n".join(drift_posts())
    assert "db.marts.c3" in joined and "m2" in joined and "DBT" in joined and "TRANSFORMER" in joined, joined
    assert "@db.raw.exports" in joined and "u1" in joined and "EVE" in joined, joined
    assert "new=db.marts.c2;" not in joined and "query_id=m1;" not in joined, joined  # known since the baseline
    count = len(drift_posts())
    run_cli(config, "scan", env=env)
    assert len(drift_posts()) == count  # nothing new: no repeat
    rows = json.loads(run_cli(config, "drift", "--since", "2026-11-01", "--format", "json", env=env).stdout)
    got = {(r["kind"], r["new"], r["query_id"]) for r in rows if r["kind"] != "new_reader"}
    assert got == {("new_terminal", "db.marts.c2", "m1"), ("new_terminal", "db.marts.c3", "m2"),
                   ("new_egress", "@db.raw.exports", "u1")}, rows


def test_many_arrivals_of_one_origin_are_one_drift_alert(tmp_path: Path, webhook) -> None:
    """More than monitoring.alert_group_above new places of one origin in one check: one alert that
    counts them and names the first ones (a new pipeline copying an e-mail column into dozens of
    tables would otherwise post dozens of messages); drift --since still lists each one."""
    history, config, env = _installation(tmp_path, webhook, REGISTRY, ", alert_group_above: 2")
    copies = [_row(f"g{n}", f"2026-11-06T0{n}:00:00Z", f"create table db.marts.copy{n} as select email from db.marts.c2",
                   "CREATE_TABLE_AS_SELECT", "DBT", "TRANSFORMER") for n in range(1, 5)]
    history.write_text("".join(FIRST + copies), encoding="utf-8")
    run_cli(config, "crawl", env=env)
    run_cli(config, "scan", env=env)
    posts = _drift_posts(webhook)
    assert len(posts) == 1, posts
    assert "sensitive data reached 4 new places" in posts[0]
    # the footer names what was grouped: drift events (first arrivals), not findings (review F2)
    body = next(b for b in webhook.accepted if b.get("text", "").startswith("Drift"))
    footer = body["blocks"][-1]["elements"][0]["text"]
    assert re.fullmatch(r"alert #\d+ · 4 first arrivals", footer), footer
    assert body["text"].endswith(footer) and "findings" not in footer
    assert all(f"db.marts.copy{n}" in json.dumps(webhook.accepted) for n in range(1, 5))
    listed = json.loads(run_cli(config, "drift", "--since", "2026-11-06", "--format", "json", env=env).stdout)
    assert {r["new"] for r in listed if r["kind"] == "new_terminal"} >= {f"db.marts.copy{n}.email" for n in range(1, 5)}
