"""Grants (issue 14 §3): GRANT/REVOKE statements read as dated facts, who can read a dataset (pure),
and the installed ``lineage-engine grants`` over a small history (replays change nothing)."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

from lineage_engine.access.grant_parse import GrantStatement, parse_grant
from lineage_engine.access.readers import who_can_read
from lineage_engine.registry.grants import GrantFact
from tests.cli_run import run_cli
from tests.cli_setup import crawled_installation

T = datetime(2026, 11, 1, tzinfo=timezone.utc)


def test_grant_and_revoke_statements_parse_into_facts() -> None:
    assert parse_grant("GRANT SELECT, INSERT ON TABLE s.t TO ROLE analyst WITH GRANT OPTION", "DB", "RAW") == \
        GrantStatement("grant", ("SELECT", "INSERT"), "TABLE", "object", "db.s.t", "ROLE", "ANALYST")
    assert parse_grant("revoke grant option for select on view v from role \"Mixed\"", "DB", "S") == \
        GrantStatement("revoke", ("SELECT",), "VIEW", "object", "db.s.v", "ROLE", "Mixed")
    assert parse_grant("grant role analyst to user bob") == \
        GrantStatement("grant", ("USAGE",), "ROLE", "object", "ANALYST", "USER", "BOB")
    assert parse_grant("grant select on future tables in schema db.raw to role r") == \
        GrantStatement("grant", ("SELECT",), "TABLE", "future", "db.raw", "ROLE", "R")
    assert parse_grant("grant usage on database db to share partner") == \
        GrantStatement("grant", ("USAGE",), "DATABASE", "object", "db", "SHARE", "PARTNER")
    odd = parse_grant("grant frobnicate on table db.s.t to role r")  # unknown privilege names are kept as written
    assert odd is not None and odd.privileges == ("FROBNICATE",)
    assert parse_grant("grant bogus stuff") is None and parse_grant("select 1") is None


def _fact(privilege: str, on_kind: str, object_id: str, grantee_kind: str, grantee: str,
          scope: str = "object") -> GrantFact:
    return GrantFact(privilege, on_kind, scope, object_id, grantee_kind, grantee, T, None, "query_history")


def test_who_can_read_follows_roles_users_containers_and_flags_broad_roles() -> None:
    facts = [
        _fact("SELECT", "TABLE", "db.raw.customers", "ROLE", "ANALYST"),
        _fact("INSERT", "TABLE", "db.raw.customers", "ROLE", "LOADER"),  # not a read
        _fact("SELECT", "TABLE", "db.raw", "ROLE", "AUDITOR", scope="all"),  # ALL TABLES IN SCHEMA
        _fact("USAGE", "ROLE", "ANALYST", "ROLE", "BI"),  # BI inherits ANALYST
        _fact("USAGE", "ROLE", "ANALYST", "USER", "ALICE"),
        _fact("USAGE", "ROLE", "BI", "USER", "BOB"),
        _fact("USAGE", "ROLE", "BI", "USER", "CAROL"),
        _fact("USAGE", "ROLE", "LOADER", "USER", "LARRY"),
        _fact("SELECT", "TABLE", "db.raw.customers", "SHARE", "PARTNER"),
    ]
    readers = who_can_read("db.raw.customers", facts, broad_members=2)
    got = {(r.kind, r.name): r for r in readers}
    assert set(got) == {("role", "ANALYST"), ("role", "BI"), ("role", "AUDITOR"), ("user", "ALICE"),
                        ("user", "BOB"), ("user", "CAROL"), ("share", "PARTNER")}
    assert got[("role", "ANALYST")].members == 3 and got[("role", "ANALYST")].broad  # more than 2 users
    assert not got[("role", "BI")].broad and got[("user", "BOB")].via == ("ANALYST", "BI")
    public = who_can_read("db.raw.x", [_fact("SELECT", "TABLE", "db", "ROLE", "PUBLIC", scope="future")],
                          broad_members=100)
    assert [(r.kind, r.name, r.broad) for r in public] == [("role", "PUBLIC", True), ("everyone", "PUBLIC", True)]


def _row(query_id: str, at: str, text: str, query_type: str) -> str:
    return json.dumps({"query_id": query_id, "query_text": text, "query_type": query_type, "start_time": at,
                       "end_time": at, "execution_status": "SUCCESS", "database_name": "DB", "schema_name": "RAW",
                       "user_name": "ADMIN", "role_name": "SECURITYADMIN"}) + "\n"


HISTORY = [
    _row("c1", "2026-11-01T08:00:00Z", "create table db.raw.customers (id int, email string)", "CREATE_TABLE"),
    _row("g1", "2026-11-02T09:00:00Z", "grant select on table customers to role analyst", "GRANT"),
    _row("g2", "2026-11-02T09:01:00Z", "grant role analyst to user alice", "GRANT"),
    _row("g3", "2026-11-03T09:00:00Z", "grant select on all tables in schema db.raw to role public", "GRANT"),
    _row("g4", "2026-11-04T09:00:00Z", "revoke select on all tables in schema db.raw from role public", "REVOKE"),
    _row("g5", "2026-11-05T09:00:00Z", "revoke role analyst from user alice", "REVOKE"),
    _row("g6", "2026-11-05T10:00:00Z", "grant select on table db.raw.customers to share partner_share", "GRANT"),
    _row("g7", "2026-11-05T11:00:00Z", "grant bogus stuff", "GRANT"),
]
REGISTRY = "- {catalog_path: db.raw.customers.email, asset_type: column, classification: restricted}\n"


def _who(config: Path, at: str) -> set[tuple[str, str, str]]:
    rows = json.loads(run_cli(config, "grants", "--object", "db.raw.customers", "--as-of", at, "--format",
                              "json").stdout)
    return {(r["kind"], r["name"], r["broad"]) for r in rows}


def test_grants_command_answers_as_of_an_instant(tmp_path: Path) -> None:
    history = tmp_path / "history.jsonl"
    history.write_text("".join(HISTORY), encoding="utf-8")
    config = crawled_installation(tmp_path, history, REGISTRY)
    owner = ("role", "SECURITYADMIN", "")  # the role that created the table owns it (OWNERSHIP)
    assert _who(config, "2026-11-01T07:00:00Z") == set()  # before the CREATE
    assert _who(config, "2026-11-02T08:00:00Z") == {owner}
    assert _who(config, "2026-11-02T12:00:00Z") == {owner, ("role", "ANALYST", ""), ("user", "ALICE", "")}
    assert _who(config, "2026-11-03T12:00:00Z") == {owner, ("role", "ANALYST", ""), ("user", "ALICE", ""),
                                                    ("role", "PUBLIC", "yes"), ("everyone", "PUBLIC", "yes")}
    after = {owner, ("role", "ANALYST", ""), ("share", "PARTNER_SHARE", "")}
    assert _who(config, "2026-11-06") == after  # PUBLIC revoked, ALICE's role revoked, shared out
    quarantined = run_cli(config, "quarantine", "--format", "json").stdout
    assert "g7" in quarantined and "GRANT/REVOKE statement not understood" in quarantined
    run_cli(config, "crawl", "--reset-watermark", "--yes")  # a replay changes nothing
    assert _who(config, "2026-11-06") == after and _who(config, "2026-11-02T12:00:00Z") == {
        owner, ("role", "ANALYST", ""), ("user", "ALICE", "")}
    bad = run_cli(config, "grants", "--object", "db.raw.custmers", check=False)
    assert bad.returncode == 2 and "db.raw.customers" in bad.stderr


SCAN_HISTORY = [
    _row("c1", "2026-11-01T08:00:00Z", "create table db.raw.customers (id int, email string)", "CREATE_TABLE"),
    _row("m1", "2026-11-02T08:00:00Z", "create table db.marts.open_copy as select id, email from db.raw.customers",
         "CREATE_TABLE_AS_SELECT"),
    _row("m2", "2026-11-02T09:00:00Z", "create table db.marts.team_copy as select id, email from db.raw.customers",
         "CREATE_TABLE_AS_SELECT"),
    _row("g1", "2026-11-03T09:00:00Z", "grant select on table db.marts.open_copy to role public", "GRANT"),
    _row("g2", "2026-11-03T09:01:00Z", "grant select on table db.marts.team_copy to role analyst", "GRANT"),
    _row("g3", "2026-11-03T09:02:00Z", "grant role analyst to user alice", "GRANT"),
]


def test_findings_list_who_can_read_the_terminal_and_public_raises_severity(tmp_path: Path) -> None:
    history = tmp_path / "history.jsonl"
    history.write_text("".join(SCAN_HISTORY), encoding="utf-8")
    config = crawled_installation(
        tmp_path, history,
        "- {catalog_path: db.raw.customers.email, asset_type: column, classification: restricted, "
        "regulatory_tags: [pii]}\n")
    run_cli(config, "scan")
    found = {f["terminal"]: f for f in json.loads(run_cli(config, "findings", "--format", "json").stdout)}
    open_copy, team_copy = found["db.marts.open_copy.email"], found["db.marts.team_copy.email"]
    assert team_copy["severity"] == "HIGH" and "readable by roles ANALYST, SECURITYADMIN; users ALICE" in team_copy["note"]
    assert open_copy["severity"] == "CRITICAL"  # pii_exposure HIGH, one level up: PUBLIC can read it
    assert "severity raised one level: readable by PUBLIC" in open_copy["note"]
