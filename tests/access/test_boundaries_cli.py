"""``lineage-engine boundaries`` (issue 14 §6) through the installed command: an ``origins``/``forbidden``
rule and a ``classification``/``allowed`` rule over copies, an unload and a share; a copy replaced
without the data no longer crosses; a bad rule stops start-up with its key path."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli_run import run_cli
from tests.cli_setup import crawled_installation

REGISTRY = """
- {catalog_path: eu_db.crm.customers.email, asset_type: column, classification: restricted, regulatory_tags: [gdpr]}
- {catalog_path: eu_db.pay.cards.pan, asset_type: column, classification: restricted, regulatory_tags: [pci]}
"""
RULES = """compliance:
  classification_db: "sqlite:///.lineage/registry.db"
  boundaries:
    - {name: eu-residency, origins: "eu_db.*", forbidden: ["us_db.*", "share:*"]}
    - {name: pci-scope, classification: pci, allowed: ["cde_db.*"]}
"""


def _row(query_id: str, at: str, text: str, query_type: str) -> str:
    return json.dumps({"query_id": query_id, "query_text": text, "query_type": query_type, "start_time": at,
                       "end_time": at, "execution_status": "SUCCESS", "database_name": "EU_DB", "schema_name": "CRM",
                       "user_name": "DBT", "role_name": "TRANSFORMER"}) + "\n"


HISTORY = [
    _row("c1", "2026-11-01T08:00:00Z", "create table eu_db.crm.customers (id int, email string)", "CREATE_TABLE"),
    _row("c2", "2026-11-01T08:01:00Z", "create table eu_db.pay.cards (id int, pan string)", "CREATE_TABLE"),
    _row("m1", "2026-11-02T08:00:00Z", "create table us_db.marts.c as select id, email from eu_db.crm.customers",
         "CREATE_TABLE_AS_SELECT"),
    _row("m2", "2026-11-02T09:00:00Z", "create table eu_db.marts.ok as select id, email from eu_db.crm.customers",
         "CREATE_TABLE_AS_SELECT"),
    _row("m3", "2026-11-02T10:00:00Z", "create table cde_db.vault.cards as select id, pan from eu_db.pay.cards",
         "CREATE_TABLE_AS_SELECT"),
    _row("m4", "2026-11-02T11:00:00Z", "create table eu_db.marts.cards_copy as select pan from eu_db.pay.cards",
         "CREATE_TABLE_AS_SELECT"),
    _row("m5", "2026-11-02T12:00:00Z", "create table us_db.marts.gone as select email from eu_db.crm.customers",
         "CREATE_TABLE_AS_SELECT"),
    _row("r1", "2026-11-03T12:00:00Z", "create or replace table us_db.marts.gone as select 'x' as email",
         "CREATE_TABLE_AS_SELECT"),
    _row("s1", "2026-11-04T09:00:00Z", "grant select on table eu_db.marts.ok to share partner", "GRANT"),
]


def test_boundaries_lists_each_crossing_with_its_rule_and_path(tmp_path: Path) -> None:
    history = tmp_path / "history.jsonl"
    history.write_text("".join(HISTORY), encoding="utf-8")
    config = crawled_installation(tmp_path, history, REGISTRY)
    config.write_text(config.read_text().replace(
        'compliance: {classification_db: "sqlite:///.lineage/registry.db"}\n', RULES))
    rows = json.loads(run_cli(config, "boundaries", "--format", "json").stdout)
    got = {(r["kind"], r["rule"], r["origin"], r["destination"]) for r in rows}
    assert got == {
        ("boundary", "eu-residency", "eu_db.crm.customers.email", "us_db.marts.c.email"),
        ("boundary", "eu-residency", "eu_db.crm.customers.email", "share:PARTNER"),
        ("boundary", "pci-scope", "eu_db.pay.cards.pan", "eu_db.marts.cards_copy.pan"),
    }, rows  # not us_db.marts.gone (replaced without the data), not cde_db (allowed), not eu_db.marts.ok
    us = next(r for r in rows if r["destination"] == "us_db.marts.c.email")
    assert us["path"] == ["eu_db.crm.customers.email", "us_db.marts.c.email"]

    config.write_text(config.read_text().replace('forbidden: ["us_db.*", "share:*"]}', "}"))
    bad = run_cli(config, "boundaries", check=False)
    assert bad.returncode == 2 and "compliance.boundaries[0]" in bad.stderr and "eu-residency" in bad.stderr
