"""Masking policies from the query history, with time, through the installed CLI (issue 10 §2-3).

Observation 4 of issue 10: ``ALTER TABLE t MODIFY COLUMN email SET MASKING POLICY p`` in the
query history was ignored, so the copy stayed an open HIGH finding forever and nothing said
it was unmasked before the policy came. Real components: the JSON Lines file source, the
embedded graph, the SQLite registry, the ``lineage-engine`` console script in a subprocess.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

from lineage_engine.model import Finding
from lineage_engine.registry import Registry
from tests.cli_run import crawl_history, run_cli

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
REGISTRY = """assets:
  - {catalog_path: DB.S.CUSTOMERS.EMAIL, classification: restricted, regulatory_tags: [pii], steward: dpo}
"""
POLICY = ("CREATE OR REPLACE MASKING POLICY gov.email_mask AS (val string) RETURNS string -> "
          "CASE WHEN CURRENT_ROLE() IN ('PII_ADMIN') THEN val ELSE '*** masked ***' END")


def at(minute: int) -> datetime:
    return T0 + timedelta(minutes=minute)


def iso(minute: int) -> str:
    return at(minute).isoformat().replace("+00:00", "Z")


def run(tmp_path: Path, rows: list[tuple[str, str, str]]) -> tuple[list[Finding], str, Path]:
    """Crawl ``rows`` of (query_type, role, text), one a minute from T0; scan; return findings and output."""
    config = crawl_history(tmp_path, rows, at, REGISTRY)
    scanned = run_cli(config, "scan").stdout
    shown = run_cli(config, "findings").stdout
    with Registry(f"sqlite:///{tmp_path}/work/.lineage/registry.db") as registry:
        return registry.list_findings(), scanned + shown, config


def brief(findings: list[Finding]) -> set[tuple[str, str, str, str]]:
    return {(f.terminal, f.status, f.severity, f.window()) for f in findings}


def test_a_copy_masked_after_it_was_made_is_resolved_with_its_unmasked_window(tmp_path: Path) -> None:
    """Observation 4: the copy is a resolved finding, "unmasked from T1 to T2"."""
    findings, out, config = run(tmp_path, [
        ("CREATE_TABLE", "ETL", "create table db.s.customers (id int, email varchar)"),
        ("CREATE_TABLE_AS_SELECT", "ETL", "create table db.s.contacts as select id, email from db.s.customers"),
        ("ALTER_TABLE_MODIFY_COLUMN", "SECADMIN",
         "ALTER TABLE db.s.contacts MODIFY COLUMN email SET MASKING POLICY gov.email_mask"),
    ])
    assert brief(findings) == {
        ("db.s.contacts.email", "resolved", "HIGH", f"unmasked from {iso(1)} to {iso(2)}")}
    assert f"unmasked from {iso(1)} to {iso(2)}" in out.replace("\n", "")
    # a second scan changes nothing and queues no alert
    run_cli(config, "scan")
    with Registry(f"sqlite:///{tmp_path}/work/.lineage/registry.db") as registry:
        assert registry.list_findings() == findings
        assert registry.pending_alerts() == []


def test_an_open_finding_resolves_when_the_policy_arrives(tmp_path: Path) -> None:
    """Scanned before the ALTER: open HIGH; after the next crawl and scan: resolved with the window."""
    rows = [
        ("CREATE_TABLE", "ETL", "create table db.s.customers (id int, email varchar)"),
        ("CREATE_TABLE_AS_SELECT", "ETL", "create table db.s.contacts as select id, email from db.s.customers"),
    ]
    findings, _, config = run(tmp_path, rows)
    assert brief(findings) == {("db.s.contacts.email", "open", "HIGH", "")}
    history = tmp_path / "history.jsonl"
    with history.open("a") as handle:
        handle.write(json.dumps({
            "query_id": "q2", "query_text": "alter table contacts alter column email set masking policy email_mask",
            "query_type": "ALTER_TABLE_MODIFY_COLUMN", "start_time": at(2).isoformat(), "end_time": at(2).isoformat(),
            "execution_status": "SUCCESS", "database_name": "DB", "schema_name": "S", "role_name": "SECADMIN"}) + "\n")
    run_cli(config, "crawl")
    run_cli(config, "scan")
    with Registry(f"sqlite:///{tmp_path}/work/.lineage/registry.db") as registry:
        assert brief(registry.list_findings()) == {
            ("db.s.contacts.email", "resolved", "HIGH", f"unmasked from {iso(1)} to {iso(2)}")}


def test_views_enforce_the_base_policy_and_copies_hold_what_their_role_saw(tmp_path: Path) -> None:
    findings, out, _ = run(tmp_path, [
        ("CREATE_TABLE", "ETL", "create table db.s.customers (id int, email varchar)"),  # 0
        ("CREATE_VIEW", "ETL", "create view db.s.v_early as select id, email from db.s.customers"),  # 1
        ("CREATE_TABLE_AS_SELECT", "ETL", "create table db.s.early_copy as select id, email from db.s.customers"),
        ("CREATE_MASKING_POLICY", "SECADMIN", POLICY),  # 3
        ("ALTER_TABLE_MODIFY_COLUMN", "SECADMIN",
         "alter table db.s.customers modify column email set masking policy gov.email_mask"),  # 4
        ("CREATE_VIEW", "ETL", "create view db.s.v_late as select id, email from db.s.customers"),  # 5
        ("CREATE_TABLE_AS_SELECT", "ANALYST", "create table db.s.analyst_copy as select id, email from db.s.customers"),
        ("CREATE_TABLE_AS_SELECT", "ANALYST", "create table db.s.view_copy as select id, email from db.s.v_late"),
        ("CREATE_TABLE_AS_SELECT", "PII_ADMIN", "create table db.s.admin_copy as select id, email from db.s.customers"),
    ])
    assert brief(findings) == {
        ("db.s.v_early.email", "resolved", "HIGH", f"unmasked from {iso(1)} to {iso(4)}"),  # a view: live
        ("db.s.early_copy.email", "open", "HIGH", ""),  # copied before the policy existed
        ("db.s.admin_copy.email", "open", "HIGH", ""),  # the policy shows PII_ADMIN clear text
    }  # v_late shows masked values; ANALYST's copies hold masked values
    notes = {f.terminal: f.note for f in findings}
    assert notes["db.s.admin_copy.email"] == (
        "copied from db.s.customers.email by role PII_ADMIN, which masking policy email_mask shows clear values "
        "to (query q8)")
    assert notes["db.s.early_copy.email"] is None


def test_a_policy_whose_body_is_unknown_counts_the_copy_and_says_why(tmp_path: Path) -> None:
    findings, _, _ = run(tmp_path, [
        ("CREATE_TABLE", "ETL", "create table db.s.customers (id int, email varchar)"),
        ("ALTER_TABLE_MODIFY_COLUMN", "SECADMIN",
         "alter table db.s.customers modify column email set masking policy other_mask"),
        ("CREATE_TABLE_AS_SELECT", "ANALYST", "create table db.s.analyst_copy as select id, email from db.s.customers"),
    ])
    assert brief(findings) == {("db.s.analyst_copy.email", "open", "HIGH", "")}
    assert findings[0].note == (
        "copied from db.s.customers.email under masking policy other_mask, whose body is unknown (no CREATE MASKING "
        "POLICY seen): role ANALYST may have read clear values (query q2)")


def test_a_policy_on_a_table_the_graph_has_not_seen_applies_when_it_appears(tmp_path: Path) -> None:
    findings, _, _ = run(tmp_path, [
        ("ALTER_TABLE_MODIFY_COLUMN", "SECADMIN",
         "alter table db.s.later modify column email set masking policy gov.email_mask"),
        ("CREATE_TABLE", "ETL", "create table db.s.customers (id int, email varchar)"),
        ("INSERT", "ETL", "insert into db.s.later (id, email) select id, email from db.s.customers"),
        ("CREATE_TABLE_AS_SELECT", "ETL", "create table db.s.plain as select id, email from db.s.customers"),
    ])
    assert brief(findings) == {("db.s.plain.email", "open", "HIGH", "")}


def test_a_masked_copy_replaced_later_is_exposed_again(tmp_path: Path) -> None:
    """CREATE OR REPLACE makes a new table without the old one's policy (Snowflake): the new copy is open."""
    findings, _, _ = run(tmp_path, [
        ("CREATE_TABLE", "ETL", "create table db.s.customers (id int, email varchar)"),
        ("CREATE_TABLE_AS_SELECT", "ETL", "create table db.s.contacts as select id, email from db.s.customers"),
        ("ALTER_TABLE_MODIFY_COLUMN", "SECADMIN",
         "alter table db.s.contacts modify column email set masking policy gov.email_mask"),
        ("CREATE_TABLE_AS_SELECT", "ETL",
         "create or replace table db.s.contacts as select id, email from db.s.customers"),
    ])
    assert brief(findings) == {("db.s.contacts.email", "open", "HIGH", "")}
