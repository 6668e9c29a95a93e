"""OpenLineage out and in through the installed command (issue 16 §2-§4), on both graph backends."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import yaml

from tests.cli_run import export_edges, file_config, run_cli
from tests.openlineage.test_conversion import _event

STATEMENTS = [
    "create table db.raw.customers (id int, email string, name string)",
    "create or replace table db.stg.c as select id, email, upper(name) as name, md5(email) as h, "
    "right(email, 4) as tail from db.raw.customers",
    "create or replace table db.mart.agg as select name, count(email) as n, max(email) as m from db.stg.c group by name",
    "copy into 's3://bucket/out/' from (select email, name from db.stg.c)",
    "insert into db.mart.agg select name, count(email), min(email) from db.stg.c group by name",
]
REGISTRY = """assets:
  - {catalog_path: prod.raw.customers.email, asset_type: column, classification: confidential,
     regulatory_tags: [pii], steward: dpo@example.com}
"""


def _history(path: Path) -> Path:
    rows = [{"query_id": f"q{i}", "query_text": text, "query_type": "CREATE_TABLE_AS_SELECT",
             "start_time": f"2026-03-0{i + 1}T10:00:00Z", "end_time": f"2026-03-0{i + 1}T10:00:01Z",
             "execution_status": "SUCCESS", "session_id": str(i), "user_name": "ETL", "role_name": "ETL"}
            for i, text in enumerate(STATEMENTS)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _installation(folder: Path, graph: dict[str, object]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "empty.jsonl").write_text("")
    config = folder / "lineage-engine.config.yaml"
    config.write_text(yaml.safe_dump({
        "telemetry": {"provider": "file", "path": "empty.jsonl"}, "graph": graph,
        "compliance": {"classification_db": "sqlite:///.lineage/registry.db"}, "monitoring": {"slack_webhook": ""},
        "openlineage": {"namespace": "snowflake://myorg-acct"}}), encoding="utf-8")
    run_cli(config, "migrate")
    return config


def _open_edges(config: Path) -> set[tuple[str, ...]]:
    rows = [json.loads(line) for level in ("dataset", "column")
            for line in export_edges(config, "--level", level).splitlines()]
    return {(r["downstream"], r["upstream"], r.get("transform", ""), r.get("kind", "")) for r in rows
            if r["valid_to"] is None}


def test_export_then_ingest_gives_the_same_edges(tmp_path: Path, graph_config: dict[str, object]) -> None:
    source = file_config(tmp_path / "src", _history(tmp_path / "history.jsonl"),
                         extra="openlineage: {namespace: 'snowflake://myorg-acct'}\n")
    run_cli(source, "crawl")
    events = tmp_path / "events.jsonl"
    wrote = run_cli(source, "export", "openlineage", "--out", str(events))
    assert "wrote 3 OpenLineage run events" in wrote.stdout, wrote.stdout
    documents = [json.loads(line) for line in events.read_text().splitlines()]
    assert all(d["eventType"] == "COMPLETE" and d["job"]["namespace"] == "snowflake://myorg-acct" for d in documents)
    stdout = run_cli(source, "export", "openlineage", "--since", "2026-03-01").stdout
    assert len(stdout.splitlines()) == 3

    target = _installation(tmp_path / "dst", graph_config)
    assert "stored 3 OpenLineage run events (0 already stored)" in run_cli(target, "openlineage", "load", str(events)).stdout
    crawled = run_cli(target, "crawl")
    assert "crawled openlineage:received: 3 rows" in crawled.stdout, crawled.stdout
    expected = _open_edges(source)
    assert {e[2] for e in expected} >= {"identity", "expression", "masked", "partial", "aggregation", "counted"}
    assert _open_edges(target) == expected
    # a replay of the same events stores and changes nothing
    assert "stored 0 OpenLineage run events (3 already stored)" in run_cli(
        target, "openlineage", "load", str(events)).stdout
    before = export_edges(target, "--level", "column")
    run_cli(target, "crawl")
    assert export_edges(target, "--level", "column") == before


def test_spark_copy_to_s3_is_a_finding(tmp_path: Path, graph_config: dict[str, object]) -> None:
    config = _installation(tmp_path, graph_config)
    (tmp_path / "registry.yaml").write_text(REGISTRY)
    run_cli(config, "registry", "import", str(tmp_path / "registry.yaml"))
    (tmp_path / "events.jsonl").write_text(json.dumps(_event()) + "\n" + json.dumps(_event(eventType="START")) + "\n")
    run_cli(config, "openlineage", "load", str(tmp_path / "events.jsonl"))
    run_cli(config, "crawl")
    edges = [json.loads(line) for line in export_edges(config).splitlines()]
    assert [(e["downstream"], e["upstream"], e["provenance"]) for e in edges] == [
        ("s3://exports", "prod.raw.customers", "openlineage")]
    run_cli(config, "scan")
    findings = json.loads(run_cli(config, "findings", "--format", "json").stdout)
    assert [(f["origin"], f["terminal"]) for f in findings] == [("prod.raw.customers.email", "s3://exports.email")]


def test_a_bad_event_is_named_and_nothing_is_stored(tmp_path: Path) -> None:
    config = _installation(tmp_path, {"type": "embedded", "path": ".lineage/graph"})
    bad = _event()
    bad["run"] = {"runId": "not-a-uuid"}
    (tmp_path / "events.jsonl").write_text(json.dumps(_event()) + "\n\n" + json.dumps(bad) + "\n")
    result = run_cli(config, "openlineage", "load", str(tmp_path / "events.jsonl"), check=False)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "events.jsonl:3" in result.stderr and "$.run.runId" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    with sqlite3.connect(tmp_path / ".lineage" / "registry.db") as db:
        assert db.execute("select count(*) from openlineage_events").fetchone() == (0,)
    (tmp_path / "events.jsonl").write_text("{not json\n")
    result = run_cli(config, "openlineage", "load", str(tmp_path / "events.jsonl"), check=False)
    assert result.returncode == 2 and "events.jsonl:1" in result.stderr and "not JSON" in result.stderr


def test_export_options_are_checked(tmp_path: Path) -> None:
    config = _installation(tmp_path, {"type": "embedded", "path": ".lineage/graph"})
    both = run_cli(config, "export", "openlineage", "--out", "x.jsonl", "--url", "http://127.0.0.1:9/", check=False)
    assert both.returncode == 2 and "one destination" in both.stderr
    dead = run_cli(config, "export", "openlineage", "--url", "http://127.0.0.1:9", check=False)
    assert dead.returncode == 0 and "sent 0" in dead.stdout  # nothing to send: the endpoint is not called
