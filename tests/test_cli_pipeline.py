"""End to end through the CLI: demo, crawl, export, trace, quarantine, crash safety.

Real components only: the embedded graph (LadybugDB) and SQLite registry in a temp folder,
the bundled sample query history, and ``lineage-engine`` run as a subprocess where a crash is
part of the test.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lineage_engine.cli import app
from lineage_engine.resources import sample_dir
from tests.waiting import HANG_SECONDS

SAMPLE = sample_dir() / "query_history.jsonl"
runner = CliRunner()


def make_config(folder: Path, history: Path = SAMPLE, batch_size: int = 1000) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "lineage-engine.config.yaml"
    config.write_text(
        f"telemetry: {{provider: file, path: '{history}', batch_size: {batch_size}}}\n"
        "graph: {type: embedded, path: .lineage/graph}\n"
        'compliance: {classification_db: "sqlite:///.lineage/registry.db"}\n'
        "monitoring: {slack_webhook: ''}\n",
        encoding="utf-8",
    )
    return config


def cli(config: Path, *args: str) -> str:
    result = runner.invoke(app, ["--config", str(config), *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def export(config: Path, *extra: str) -> list[dict[str, object]]:
    out = config.parent / "edges.jsonl"
    cli(config, "export", "edges", "--output", str(out), *extra)
    return [json.loads(line) for line in out.read_text().splitlines()]


def pairs(edges: list[dict[str, object]]) -> set[tuple[object, object]]:
    return {(e["downstream"], e["upstream"]) for e in edges}


def test_crawl_builds_lineage_collapses_temp_objects_and_is_idempotent(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    first = cli(config, "crawl")
    assert "crawled 607 rows" in first
    edges = export(config)
    found = pairs(edges)
    # dbt incremental through CUSTOMER_360__dbt_tmp: collapsed, recorded in via.
    c360 = [e for e in edges if e["downstream"] == "prod_db.analytics.customer_360"]
    assert {e["upstream"] for e in c360} == {
        "prod_db.staging.stg_customers", "prod_db.staging.stg_orders", "prod_db.staging.stg_payments"}
    assert all(e["via"] == ["prod_db.analytics.customer_360__dbt_tmp"] for e in c360)
    # The session temporary table VIP_CANDIDATES is collapsed too.
    assert ("prod_db.marts.vip_customers", "prod_db.analytics.customer_360") in found
    # Stage load and unload.
    assert ("prod_db.raw.customer_profiles", "@prod_db.raw.landing_stage") in found
    assert ("@prod_db.exports.s3_crm_export", "prod_db.analytics.customer_360") in found
    # Rename moved identity: the new name carries the upstream.
    assert ("prod_db.analytics.churn_scores", "prod_db.analytics.customer_360") in found
    # No temporary object is ever a node, and no self-loop exists (clone + swap).
    ids = {i for pair in found for i in pair}
    assert not [i for i in ids if "__dbt_tmp" in i or i.endswith("vip_candidates")]
    assert all(d != u for d, u in found)
    # Column lineage (issue 5) goes through the same temp objects, collapsed the same way.
    columns = export(config, "--level", "column")
    email = [e for e in columns if e["downstream"] == "prod_db.analytics.customer_360.email"]
    assert [(e["upstream"], e["transform"], e["kind"], e["via"]) for e in email] == [
        ("prod_db.staging.stg_customers.email", "identity", "DIRECT", ["prod_db.analytics.customer_360__dbt_tmp"])]
    assert ("prod_db.marts.vip_customers.email", "prod_db.analytics.customer_360.email") in pairs(columns)
    assert not [e for e in columns if "__dbt_tmp" in e["downstream"] + e["upstream"] or "vip_candidates" in e["upstream"]]
    # Crawling the same file again changes nothing.
    second = cli(config, "crawl")
    assert "crawled 0 rows" in second
    assert export(config) == edges
    assert export(config, "--level", "column") == columns


def test_as_of_export_reads_lineage_at_a_past_instant(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    cli(config, "crawl")
    audience = "prod_db.marts.marketing_audience"
    before = {u for d, u in pairs(export(config, "--as-of", "2026-11-01T00:00:00Z")) if d == audience}
    after = {u for d, u in pairs(export(config, "--as-of", "2026-11-15T00:00:00Z")) if d == audience}
    assert before == {"prod_db.staging.stg_customers"}
    assert after == {"prod_db.analytics.customer_360"}
    everything = [e for e in export(config) if e["downstream"] == audience]
    closed = [e for e in everything if e["upstream"] == "prod_db.staging.stg_customers"]
    assert len(closed) == 1 and closed[0]["valid_to"] is not None


def test_bad_input_is_quarantined_and_the_crawl_completes(tmp_path: Path) -> None:
    rows = [json.loads(line) for line in SAMPLE.read_text().splitlines()[:40]]
    good = dict(rows[0])
    email = "jane.doe@example.com"
    truncated = "insert into PROD_DB.RAW.SEED_CUSTOMERS values " + ",".join(
        f"('{email}', {i})" for i in range(4000))
    truncated = truncated[:100_000]
    extra = [
        {**good, "query_id": "bad-sql", "query_type": "CREATE_TABLE_AS_SELECT",
         "query_text": f"create table PROD_DB.X.Y as select '{email}' from where (("},
        {**good, "query_id": "truncated", "query_type": "INSERT", "query_text": truncated},
    ]
    path = tmp_path / "history.jsonl"
    lines = [json.dumps(r) for r in rows] + [json.dumps(r) for r in extra] + ['{"query_id": "broken json']
    path.write_text("\n".join(lines) + "\n")
    config = make_config(tmp_path / "cfg", path)
    out = cli(config, "crawl")
    assert "crawled 42 rows" in out
    assert "quarantined: 3 this crawl" in out
    listing = cli(config, "quarantine")
    assert "history.jsonl:43" in listing and "bad-sql" in listing and "truncated" in listing
    assert email not in listing
    with sqlite3.connect(tmp_path / "cfg" / ".lineage" / "registry.db") as db:
        stored = " ".join(str(v) for row in db.execute("select * from quarantine") for v in row)
    assert email not in stored


def test_killed_crawl_resumes_to_the_same_graph(tmp_path: Path) -> None:
    clean = make_config(tmp_path / "clean", batch_size=5)
    cli(clean, "crawl")
    expected = export(clean)

    crashed = make_config(tmp_path / "crashed", batch_size=5)
    env = {**os.environ, "LINEAGE_ENGINE_CONFIG": str(crashed)}
    proc = subprocess.Popen([sys.executable, "-m", "lineage_engine", "crawl"], cwd=crashed.parent, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    registry = crashed.parent / ".lineage" / "registry.db"
    committed = 0
    hang = time.monotonic() + HANG_SECONDS  # a hang guard only: a slow crawl is still polled to the end
    while proc.poll() is None and time.monotonic() < hang:
        if registry.exists():
            try:
                with sqlite3.connect(registry, timeout=0.1) as db:
                    row = db.execute("select rows_total from crawl_state").fetchone()
                committed = row[0] if row else 0
            except sqlite3.OperationalError:
                committed = 0
            if committed >= 50:
                proc.send_signal(signal.SIGKILL)
                break
        time.sleep(0.01)
    proc.wait(timeout=HANG_SECONDS)
    assert proc.returncode == -signal.SIGKILL, "the crawl finished before it could be killed mid-way"
    assert 0 < committed < 600
    out = cli(crashed, "crawl")
    assert "crawled" in out
    assert export(crashed) == expected
    assert export(crashed, "--level", "column") == export(clean, "--level", "column")


def test_demo_prints_findings_and_masking_closes_a_path(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("LINEAGE_ENGINE_CONFIG", "SLACK_WEBHOOK_URL")}
    env["COLUMNS"] = "250"
    result = subprocess.run([sys.executable, "-m", "lineage_engine", "demo"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=HANG_SECONDS)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Unmasked exposure paths" in out
    assert "prod_db.analytics.customer_360" in out
    assert "@prod_db.exports.s3_crm_export" in out
    table = out.split("Unmasked exposure paths", 1)[1].split("masking at column level", 1)[0]
    rows = [[cell.strip() for cell in line.split("│")[1:-1]] for line in table.splitlines() if line.count("│") > 4]
    found = {(origin, terminal, level) for _, origin, terminal, _, _, level, *_ in rows}
    terminals = {terminal for _, terminal, _ in found}
    # MARKETING_AUDIENCE has a masking policy: masking closes that path (at either level).
    assert not [t for t in terminals if t.startswith("prod_db.marts.marketing_audience")]
    # Column level (issue 5): the customer e-mail reaches customer_360.email unmasked ...
    email = "prod_db.raw.customer_profiles.email"
    assert (email, "prod_db.analytics.customer_360.email", "column") in found
    # ... while the staging view over it shows it masked: a view enforces its base column's policy
    assert (email, "prod_db.staging.stg_customers.email", "column") not in found
    # ... but reaches the partner feed only as sha2(lower(email)): not flagged, from any column of
    # customer_profiles. (Before issue 5 the table-level path customer_profiles -> partner_feed was
    # flagged; customer_profiles is now walked from its classified columns.)
    assert not [(o, t) for o, t, _ in found if o.startswith("prod_db.raw.customer_profiles")
                and t.startswith("prod_db.share.partner_feed")]
    # the unload to S3 has column lineage too: the e-mail and phone columns leave in clear
    assert (email, "@prod_db.exports.s3_crm_export.email", "column") in found
    assert ("prod_db.raw.customer_profiles.phone", "@prod_db.exports.s3_crm_export.phone", "column") in found
    assert not [(o, t) for o, t, level in found if t == "@prod_db.exports.s3_crm_export" and o.startswith(
        "prod_db.raw.customer_profiles")]  # column knowledge wins over the table-level hop
    assert "coverage: 2 origins walked at column level" in out
    # the masked e-mail copied into a free-text column of its own table: a masking bypass
    assert (email, "prod_db.raw.customer_profiles.support_note", "column") in found
    # right(phone, 4) is a partial exposure, one level below the phone's HIGH; a count is no finding
    caller = "prod_db.support.caller_verification"
    assert [(severity, exposure) for severity, origin, terminal, _, _, level, exposure, *_ in rows
            if terminal == f"{caller}.phone_last4"] == [("MEDIUM", "partial")]
    assert ("prod_db.raw.customer_profiles.phone", f"{caller}.phone_last4", "column") in found
    assert not [t for t in terminals if t.startswith(caller) and t != f"{caller}.phone_last4"]
    assert "customers_in_country" not in table
    # a CRM copy masked three hours after it was made: resolved findings with their unmasked window
    for column in ("email", "phone"):
        assert (f"resolved: prod_db.raw.customer_profiles.{column} → prod_db.crm.contacts.{column} unmasked from "
                "2026-11-20T12:00:03Z to 2026-11-20T15:00:06Z") in out
    masked = out.split("masking at column level", 1)[1]
    assert "prod_db.analytics.customer_360.email" in masked and "masked" in masked and "True" in masked
    assert (tmp_path / ".lineage" / "graph").exists() and (tmp_path / ".lineage" / "registry.db").exists()
    # Run twice: the findings stay open, nothing is re-alerted.
    again = subprocess.run([sys.executable, "-m", "lineage_engine", "demo"], cwd=tmp_path, env=env,
                           capture_output=True, text=True, timeout=HANG_SECONDS)
    assert again.returncode == 0, again.stderr
    assert "0 opened" in again.stdout


def test_trace_list_and_unknown_name_suggests_the_closest(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    listing = cli(config, "trace", "--list")
    for name in ("unmasked_pii_paths", "exposure_for_dataset", "downstream_of", "upstream_of"):
        assert name in listing
    result = subprocess.run([sys.executable, "-m", "lineage_engine", "--config", str(config), "trace", "downstream"],
                            capture_output=True, text=True)
    assert result.returncode == 2
    assert "did you mean 'downstream_of'" in result.stderr


def test_downstream_trace_as_json(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    cli(config, "crawl")
    result = runner.invoke(app, ["--config", str(config), "trace", "downstream_of", "-p",
                                 "dataset=prod_db.raw.customer_profiles", "--format", "json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)  # stdout is the JSON alone; 'not seen: …' (quarantined rows) went to stderr
    assert "not seen:" in result.stderr
    reached = {r["dataset"] for r in rows}
    assert {"prod_db.staging.stg_customers", "prod_db.analytics.customer_360",
            "prod_db.marts.marketing_audience", "@prod_db.exports.s3_crm_export"} <= reached


def test_invalid_config_exits_2_with_the_key_path(tmp_path: Path) -> None:
    config = tmp_path / "bad.yaml"
    config.write_text("graph: {type: orientdb}\n")
    result = subprocess.run([sys.executable, "-m", "lineage_engine", "--config", str(config), "crawl"],
                            capture_output=True, text=True)
    assert result.returncode == 2
    assert "graph.type" in result.stderr


def test_help_shows_no_secret(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_WEBHOOK_URL", "https://hooks.slack.example/services/SECRET-TOKEN")
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0 and "SECRET-TOKEN" not in result.output
