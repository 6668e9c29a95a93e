"""The dbt source (issue 16 §1) through the installed command, on a real dbt project.

The project (``tests/sources/dbt_project``) is built by ``dbt-core`` + ``dbt-duckdb`` once per
module (:mod:`tests.sources.dbt_build`); each test copies the artifacts of run 1 (and run 2)
into a target folder of its own and crawls it with ``lineage-engine``.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from lineage_engine import services
from lineage_engine.settings import load_settings
from tests.cli_run import export_edges, run_cli
from tests.sources.dbt_build import build_runs

REGISTRY = """assets:
  - {catalog_path: shop.raw.customers.email, asset_type: column, classification: confidential,
     regulatory_tags: [pii, gdpr], steward: dpo@example.com}
"""


@pytest.fixture(scope="module")
def dbt_runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Artifacts of two dbt invocations of the test project (run 1: build + docs, run 2: run)."""
    return build_runs(tmp_path_factory.mktemp("dbt"))


def _config(folder: Path, graph: dict[str, object], telemetry: dict[str, object]) -> Path:
    config = folder / "lineage-engine.config.yaml"
    config.write_text(yaml.safe_dump({
        "telemetry": telemetry, "graph": graph,
        "compliance": {"classification_db": "sqlite:///.lineage/registry.db"},
        "monitoring": {"slack_webhook": ""}}), encoding="utf-8")
    (folder / "registry.yaml").write_text(REGISTRY, encoding="utf-8")
    run_cli(config, "migrate")
    run_cli(config, "registry", "import", str(folder / "registry.yaml"))
    return config


def _use(run: Path, target: Path) -> None:
    target.mkdir(exist_ok=True)
    for artifact in run.iterdir():
        shutil.copy(artifact, target / artifact.name)


def _rows(text: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_dbt_target_folder_becomes_lineage_with_findings(dbt_runs: tuple[Path, Path], tmp_path: Path,
                                                         graph_config: dict[str, object]) -> None:
    run1, run2 = dbt_runs
    target = tmp_path / "target"
    _use(run1, target)
    config = _config(tmp_path, graph_config, {"provider": "dbt", "path": str(target)})

    crawled = run_cli(config, "crawl")
    assert "not built (error) 1" in crawled.stdout, crawled.stdout  # broken_model failed: no edges
    edges = _rows(export_edges(config))
    pairs = {(e["downstream"], e["upstream"]) for e in edges}
    assert pairs == {
        ("shop.main.stg_customers", "shop.raw.customers"),
        ("shop.main.customer_360", "shop.main.stg_customers"),  # through the ephemeral int_customers
        ("shop.main.customer_360", "shop.main.countries"),
        ("shop.main.customer_hashes", "shop.main.stg_customers"),
        ("shop.main.customer_events", "shop.main.customer_360"),
        ("shop.snapshots.customers_snapshot", "shop.main.stg_customers"),
    }
    assert {e["provenance"] for e in edges} == {"dbt"}
    assert all(e["last_query_id"].split("@")[0].split(".")[0] in {"model", "snapshot"} for e in edges)
    columns = {(e["downstream"], e["upstream"]): e for e in _rows(export_edges(config, "--level", "column"))}
    assert columns[("shop.main.customer_hashes.email_hash", "shop.main.stg_customers.email")]["transform"] == "masked"
    assert columns[("shop.main.stg_customers.customer_id", "shop.raw.customers.id")]["transform"] == "identity"
    # the snapshot's SELECT * expanded from the catalog
    assert ("shop.snapshots.customers_snapshot.email", "shop.main.stg_customers.email") in columns

    scan = run_cli(config, "scan", "--format", "json", check=False)
    assert scan.returncode == 0, scan.stdout + scan.stderr
    findings = json.loads(run_cli(config, "findings", "--status", "open", "--format", "json").stdout)
    terminals = {f["terminal"] for f in findings}
    assert {"shop.main.customer_360.email", "shop.main.customer_events.email",
            "shop.snapshots.customers_snapshot.email"} <= terminals
    assert not any("customer_hashes" in t for t in terminals)  # md5(email) is masked

    before = export_edges(config, "--level", "column")
    again = run_cli(config, "crawl")
    assert "already merged 1" in again.stdout
    assert export_edges(config, "--level", "column") == before  # the same artifacts change nothing

    _use(run2, target)  # a second dbt invocation: last_seen moves, no interval added
    run_cli(config, "crawl")
    after = {(e["downstream"], e["upstream"], e["valid_from"]): e for e in _rows(export_edges(config))}
    first = {(e["downstream"], e["upstream"], e["valid_from"]): e for e in edges}
    assert after.keys() == first.keys()
    moved = after[next(k for k in after if k[0] == "shop.main.customer_360")]
    invocation = json.loads((run2 / "run_results.json").read_text())["metadata"]["invocation_id"]
    assert moved["observations"] == 2 and moved["last_query_id"].endswith("@" + invocation)
    with services.graph_store(load_settings(config), read_only=True) as store:
        seen = {(e.downstream, e.upstream): e for e in store.iter_edges()}
    edge = seen[("shop.main.customer_360", "shop.main.stg_customers")]
    assert edge.last_seen > edge.first_seen == edge.valid_from
    snapshot = after[next(k for k in after if k[0] == "shop.snapshots.customers_snapshot")]
    assert snapshot["observations"] == 1  # not in run 2 (dbt run builds no snapshot)


def test_query_history_and_dbt_lineage_are_both_kept(dbt_runs: tuple[Path, Path], tmp_path: Path,
                                                     graph_config: dict[str, object]) -> None:
    run1, _ = dbt_runs
    target = tmp_path / "target"
    _use(run1, target)
    history = tmp_path / "history.jsonl"
    history.write_text(json.dumps({
        "query_id": "q1", "query_type": "CREATE_TABLE_AS_SELECT", "execution_status": "SUCCESS",
        "query_text": "create or replace table shop.main.customer_360 as select customer_id, email from shop.main.stg_customers",
        "start_time": "2026-11-01T10:00:00Z", "end_time": "2026-11-01T10:00:01Z", "database_name": "SHOP",
        "schema_name": "MAIN", "session_id": "1", "user_name": "DBT", "role_name": "TRANSFORMER"}) + "\n")
    config = _config(tmp_path, graph_config, {
        "provider": "file", "path": str(history), "extra_sources": [{"provider": "dbt", "path": str(target)}]})
    crawled = run_cli(config, "crawl")
    assert f"dbt:{target}" in crawled.stdout
    edges = [e for e in _rows(export_edges(config))
             if (e["downstream"], e["upstream"]) == ("shop.main.customer_360", "shop.main.stg_customers")]
    assert sorted(e["provenance"] for e in edges) == ["dbt", "parsed"]
    assert all(e["valid_to"] is None for e in edges)  # the dbt replace does not close the query history's edge


@pytest.mark.parametrize(("break_it", "said"), [
    (lambda t: (t / "manifest.json").unlink(), "manifest.json is missing"),
    (lambda t: (t / "manifest.json").write_text(
        '{"metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v5.json", '
        '"dbt_version": "1.0.0"}, "nodes": {}, "sources": {}}'), "manifest schema v5 (dbt 1.0.0), older than supported"),
    (lambda t: (t / "run_results.json").write_text("{not json"), "run_results.json cannot be read as JSON"),
])
def test_bad_dbt_folder_says_which_file_and_versions(tmp_path: Path, break_it, said: str) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "target"
    target.mkdir()
    (target / "manifest.json").write_text(
        '{"metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v12.json"}, '
        '"nodes": {}, "sources": {}}')
    break_it(target)
    config = _config(tmp_path, {"type": "embedded", "path": str(tmp_path / "graph")},
                     {"provider": "dbt", "path": str(target)})
    result = run_cli(config, "crawl", check=False)
    assert result.returncode == 2, result.stdout + result.stderr
    assert said in result.stderr and "dbt 1.3 or later" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


def test_extra_sources_are_validated_with_their_key_path(tmp_path: Path) -> None:
    config = tmp_path / "lineage-engine.config.yaml"
    config.write_text("telemetry: {provider: file, extra_sources: [{provider: dbt, pth: target}]}\n")
    result = run_cli(config, "migrate", check=False)
    assert result.returncode == 2
    assert "telemetry.extra_sources[0]" in result.stderr, result.stderr
    config.write_text("telemetry: {provider: file, extra_sources: [{provider: dbt, path: t}, {provider: dbt, path: t}]}\n")
    result = run_cli(config, "migrate", check=False)
    assert result.returncode == 2 and "extra_sources[1] repeats" in result.stderr, result.stderr
