"""Egress and boundary findings (issue 14 §4, §6) through the installed command: outbound shares with
their accounts over time, external functions called on sensitive columns, external tables over a
stage, boundary rules; each a finding of its own kind in the ledger, alerted once, resolved when it ends."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.cli_run import run_cli
from tests.cli_setup import crawled_installation

REGISTRY = "- {catalog_path: db.raw.customers.email, asset_type: column, classification: restricted, " \
           "regulatory_tags: [pii]}\n"
ORIGIN = "db.raw.customers.email"


def _row(query_id: str, at: str, text: str, query_type: str, user: str = "DBT", role: str = "TRANSFORMER") -> str:
    return json.dumps({"query_id": query_id, "query_text": text, "query_type": query_type, "start_time": at,
                       "end_time": at, "execution_status": "SUCCESS", "database_name": "DB", "schema_name": "RAW",
                       "user_name": user, "role_name": role}) + "\n"


BASE = [
    _row("c1", "2026-11-01T08:00:00Z", "create table db.raw.customers (id int, email string, plan string)",
         "CREATE_TABLE"),
    _row("m1", "2026-11-02T08:00:00Z", "create table db.marts.c2 as select id, email from db.raw.customers",
         "CREATE_TABLE_AS_SELECT"),
    _row("m2", "2026-11-02T09:00:00Z", "create table db.marts.plans as select id, plan from db.raw.customers",
         "CREATE_TABLE_AS_SELECT"),
]


def _install(tmp_path: Path, rows: list[str], extra_config: str = "", neo4j: Any = None) -> Path:
    history = tmp_path / "history.jsonl"
    history.write_text("".join([*BASE, *rows]), encoding="utf-8")
    config = crawled_installation(tmp_path, history, REGISTRY, neo4j=neo4j)
    if extra_config:
        config.write_text(config.read_text().replace(
            'compliance: {classification_db: "sqlite:///.lineage/registry.db"}\n', extra_config))
    return config


def _findings(config: Path, kind: str | None = None) -> list[dict[str, Any]]:
    rows = json.loads(run_cli(config, "findings", "--format", "json").stdout)
    return [r for r in rows if kind is None or r["kind"] == kind]


def _append(config: Path, rows: list[str]) -> None:
    history = config.parent / "history.jsonl"
    history.write_text(history.read_text(encoding="utf-8") + "".join(rows), encoding="utf-8")
    run_cli(config, "crawl")


SHARE = [
    _row("s0", "2026-11-03T08:00:00Z", "create share partner_share", "CREATE_SHARE", "ADMIN", "ACCOUNTADMIN"),
    _row("s1", "2026-11-03T09:00:00Z", "grant usage on database db to share partner_share", "GRANT", "ADMIN",
         "ACCOUNTADMIN"),
    _row("s2", "2026-11-03T09:01:00Z", "grant select on table db.marts.c2 to share partner_share", "GRANT", "ADMIN",
         "ACCOUNTADMIN"),
    _row("s3", "2026-11-03T09:02:00Z", "grant select on table db.marts.plans to share plans_share", "GRANT",
         "ADMIN", "ACCOUNTADMIN"),
]


def test_share_exports_only_while_it_has_accounts(tmp_path: Path) -> None:
    config = _install(tmp_path, SHARE)
    run_cli(config, "scan")
    # created in the history with no account yet: the grant alone exports nothing
    assert not [f for f in _findings(config, "egress") if f["terminal"] == "share:PARTNER_SHARE"]
    assert "PARTNER_SHARE" not in run_cli(config, "egress").stdout
    _append(config, [_row("a1", "2026-11-04T10:00:00Z", "alter share partner_share add accounts = org1.partner1",
                          "ALTER_SHARE", "ADMIN", "ACCOUNTADMIN")])
    scan = run_cli(config, "scan").stdout
    egress = [f for f in _findings(config, "egress") if f["terminal"] == "share:PARTNER_SHARE"]
    assert [(f["origin"], f["status"], f["severity"]) for f in egress] == [(ORIGIN, "open", "HIGH")], scan
    assert egress[0]["path"] == [ORIGIN, "db.marts.c2.email", "share:PARTNER_SHARE"]
    # plans_share shares a table without the e-mail: nothing sensitive leaves through it
    assert not [f for f in _findings(config) if "PLANS_SHARE" in f["terminal"]]
    rows = json.loads(run_cli(config, "egress", "--format", "json").stdout)
    share = next(r for r in rows if r["destination"] == "share:PARTNER_SHARE")
    assert share["since"].startswith("2026-11-04T10:00") and share["query_id"] == "a1"
    drift = json.loads(run_cli(config, "drift", "--since", "2026-11-01", "--format", "json").stdout)
    assert ("new_egress", "share:PARTNER_SHARE") in {(d["kind"], d["new"]) for d in drift}
    _append(config, [_row("a2", "2026-11-05T10:00:00Z", "alter share partner_share remove accounts = org1.partner1",
                          "ALTER_SHARE", "ADMIN", "ACCOUNTADMIN")])
    run_cli(config, "scan")
    egress = [f for f in _findings(config, "egress") if f["terminal"] == "share:PARTNER_SHARE"]
    assert [f["status"] for f in egress] == ["resolved"]  # removing the last account ends the egress


def test_unparseable_share_statement_is_quarantined(tmp_path: Path) -> None:
    config = _install(tmp_path, [_row("bad", "2026-11-03T08:00:00Z", "alter share partner_share add accounts",
                                      "ALTER_SHARE", "ADMIN", "ACCOUNTADMIN")])
    out = run_cli(config, "quarantine", "--format", "json").stdout
    assert "bad" in out and "share statement not understood" in out


FUNCTION = [
    _row("f0", "2026-11-03T08:00:00Z", "create or replace secure external function db.ml.score(x varchar) "
         "returns variant api_integration = ml_api as 'https://ml.example.com/score'", "CREATE_EXTERNAL_FUNCTION"),
    _row("f1", "2026-11-03T09:00:00Z", "select c.id, db.ml.score(c.email) from db.marts.c2 c", "SELECT",
         "ANA", "ANALYST"),
    _row("f2", "2026-11-03T09:30:00Z", "select db.ml.score(plan) from db.marts.plans", "SELECT", "ANA", "ANALYST"),
]


def _check_function(config: Path) -> None:
    run_cli(config, "scan")
    egress = _findings(config, "egress")
    got = {(f["origin"], f["terminal"], f["severity"]) for f in egress}
    assert got == {(ORIGIN, "extfn:db.ml.score.email", "HIGH")}, egress  # plan is not sensitive: no finding
    assert egress[0]["path"] == [ORIGIN, "db.marts.c2.email", "extfn:db.ml.score.email"]
    rows = json.loads(run_cli(config, "egress", "--format", "json").stdout)
    fn = [r for r in rows if r["kind"] == "function"]
    assert [(r["destination"], r["query_id"], r["user"]) for r in fn] == [("extfn:db.ml.score.email", "f1", "ANA")]


def test_external_function_call_on_a_sensitive_column_is_egress(tmp_path: Path) -> None:
    _check_function(_install(tmp_path, FUNCTION))


def test_external_function_on_neo4j(neo4j_graph: Any, tmp_path: Path) -> None:
    _check_function(_install(tmp_path, FUNCTION, neo4j=neo4j_graph.options))


def test_a_function_that_is_not_external_sends_nothing(tmp_path: Path) -> None:
    config = _install(tmp_path, [
        _row("f0", "2026-11-03T08:00:00Z", "create function db.ml.score(x varchar) returns varchar as 'upper(x)'",
             "CREATE_UDF"),
        _row("f1", "2026-11-03T09:00:00Z", "select db.ml.score(email) from db.marts.c2", "SELECT", "ANA", "ANALYST"),
    ])
    run_cli(config, "scan")
    assert _findings(config, "egress") == []


def test_unload_to_an_external_tables_stage_is_egress(tmp_path: Path) -> None:
    config = _install(tmp_path, [
        _row("x0", "2026-11-03T08:00:00Z", "create external table db.lake.ext (email varchar as (value:email::varchar))"
             " location=@db.lake.s3_lake/customers/ file_format=(type=parquet)", "CREATE_EXTERNAL_TABLE"),
        _row("x1", "2026-11-03T09:00:00Z", "copy into @db.lake.s3_lake/customers/ from (select email from db.marts.c2)",
             "UNLOAD", "EVE", "EXPORTER"),
    ])
    run_cli(config, "scan")
    egress = {(f["origin"], f["terminal"], f["kind"]) for f in _findings(config)
              if f["terminal"].startswith("@db.lake.s3_lake")}
    assert egress == {(ORIGIN, "@db.lake.s3_lake.email", "egress")}, egress  # the location, not an exposure
    edges = run_cli(config, "export", "edges").stdout
    assert "db.lake.ext" in edges and "@db.lake.s3_lake" in edges  # the external table reads its location


RULES = """compliance:
  classification_db: "sqlite:///.lineage/registry.db"
  boundaries:
    - {name: no-us, origins: "db.raw.*", forbidden: ["us_db.*"]}
"""


def test_boundary_crossing_is_a_finding_alerted_once_and_resolved_when_it_ends(tmp_path: Path) -> None:
    config = _install(tmp_path, [
        _row("u1", "2026-11-03T08:00:00Z", "create table us_db.marts.c as select id, email from db.marts.c2",
             "CREATE_TABLE_AS_SELECT"),
    ], RULES)
    run_cli(config, "scan")
    boundary = _findings(config, "boundary")
    assert [(f["rule"], f["origin"], f["terminal"], f["status"]) for f in boundary] == [
        ("no-us", ORIGIN, "us_db.marts.c.email", "open")], boundary
    shown = json.loads(run_cli(config, "findings", "show", str(boundary[0]["id"]), "--format", "json").stdout)
    assert shown["kind"] == "boundary" and shown["rule"] == "no-us"
    assert [e["event"] for e in shown["events"]].count("alerted") == 1
    run_cli(config, "scan")  # again: still open, not alerted again
    shown = json.loads(run_cli(config, "findings", "show", str(boundary[0]["id"]), "--format", "json").stdout)
    assert [e["event"] for e in shown["events"]].count("alerted") == 1
    # the exposure finding of the same path is kept apart
    assert ("us_db.marts.c.email", "exposure") in {(f["terminal"], f["kind"]) for f in _findings(config)}
    _append(config, [_row("u2", "2026-11-04T08:00:00Z", "create or replace table us_db.marts.c as select 1 as id, "
                          "'x' as email", "CREATE_TABLE_AS_SELECT")])
    run_cli(config, "scan")
    assert [f["status"] for f in _findings(config, "boundary")] == ["resolved"]
    csv = run_cli(config, "findings", "--format", "csv").stdout
    assert "kind" in csv.splitlines()[0] and ",boundary,no-us" in csv
    assert run_cli(config, "findings", "verify").returncode == 0  # the hash chain holds


def test_drift_names_who_ran_a_statement_without_reads(tmp_path: Path) -> None:
    """A RENAME reads nothing: its user and role come from the stored statements (issue 14 §5)."""
    config = _install(tmp_path, [_row("r1", "2026-11-03T08:00:00Z", "alter table db.marts.c2 rename to db.marts.c3",
                                      "RENAME_TABLE", "DBA_DAN", "SYSADMIN")])
    drift = json.loads(run_cli(config, "drift", "--since", "2026-11-01", "--format", "json").stdout)
    renamed = [d for d in drift if d["query_id"] == "r1"]
    assert renamed and all((d["user"], d["role"]) == ("DBA_DAN", "SYSADMIN") for d in renamed), drift


def test_a_create_that_calls_an_external_function_sets_its_owner_and_is_egress(tmp_path: Path) -> None:
    # Snowflake: the role that creates a table owns it (OWNERSHIP); a CTAS calling an external function
    # sends the argument's values out. One row is both: neither fact may hide the other.
    config = _install(tmp_path, [FUNCTION[0], _row(
        "f3", "2026-11-03T10:00:00Z", "create table db.marts.scored as select id, db.ml.score(email) as s "
        "from db.marts.c2", "CREATE_TABLE_AS_SELECT", "ANA", "ANALYST")])
    run_cli(config, "scan")
    assert {(f["origin"], f["terminal"]) for f in _findings(config, "egress")} == {
        (ORIGIN, "extfn:db.ml.score.email")}
    rows = json.loads(run_cli(config, "egress", "--format", "json").stdout)
    assert [(r["destination"], r["query_id"]) for r in rows if r["kind"] == "function"] == [
        ("extfn:db.ml.score.email", "f3")]
    grants = json.loads(run_cli(config, "grants", "--object", "db.marts.scored", "--format", "json").stdout)
    assert ("ANALYST", "OWNERSHIP") in {(g["name"], g["privilege"]) for g in grants}
