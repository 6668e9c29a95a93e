"""End to end: a masked column copied inside its own table, or unloaded straight to a bucket, is a finding.

Real components: the file source, the graph (embedded and the Neo4j test server), the SQLite registry, the scan.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

from lineage_engine import services
from lineage_engine.settings import load_settings
from tests.history_file import write_history

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
ROWS = [
    ("CREATE_TABLE", "create table db.s.customers (id int, email varchar, notes varchar)"),
    ("UPDATE", "update db.s.customers set notes = 'contact: ' || email where notes is null"),
    ("CREATE_TABLE_AS_SELECT", "create table db.s.support_export as select id, notes from db.s.customers"),
    ("CREATE_TABLE_AS_SELECT", "create table db.s.hashed as select id, sha2(notes) as notes_hash from db.s.customers"),
    ("UNLOAD", "copy into 's3://partner-drop/daily/2026-03-02/' from (select id, email, sha2(email) as email_hash "
               "from db.s.customers) file_format = (type = parquet) header = true"),
]
REGISTRY = """assets:
  - catalog_path: DB.S.CUSTOMERS
    classification: restricted
    steward: dpo@example.com
  - catalog_path: DB.S.CUSTOMERS.EMAIL
    classification: restricted
    regulatory_tags: [pii]
    steward: dpo@example.com
    masking_policy: {policy}
"""


def scan(tmp_path: Path, policy: str, graph: dict[str, object]) -> set[tuple[str, str, str]]:
    write_history(tmp_path / "history.jsonl", ROWS, T0)
    (tmp_path / "registry.yaml").write_text(REGISTRY.format(policy=policy))
    config = tmp_path / "lineage-engine.config.yaml"
    config.write_text(f"telemetry: {{path: history.jsonl}}\ngraph: {json.dumps(graph)}\n"
                      "compliance: {classification_db: 'sqlite:///registry.db'}\nmonitoring: {slack_webhook: ''}\n")
    settings = load_settings(config)
    services.migrate(settings)
    services.import_registry(settings, tmp_path / "registry.yaml")
    services.crawl(settings)
    report = services.scan(settings, now=datetime(2026, 3, 3, tzinfo=timezone.utc))
    return {(p.origin, p.terminal, p.level) for p in report.paths}


def test_a_masked_column_copied_inside_its_table_is_a_masking_bypass(tmp_path: Path, graph_config: dict[str, object]) -> None:
    found = scan(tmp_path, "EMAIL_MASK", graph_config)
    assert found == {
        ("db.s.customers.email", "db.s.customers.notes", "column"),  # readers of the table see it in clear
        ("db.s.customers.email", "db.s.support_export.notes", "column"),  # and it travels on through notes
        ("db.s.customers.email", "s3://partner-drop.email", "column"),  # unloaded straight to a bucket
    }  # sha2(...) is masked: hashed.notes_hash and the bucket's email_hash are not exposures


def test_without_a_policy_on_the_origin_the_copy_inside_the_table_is_not_a_finding(tmp_path: Path, graph_config: dict[str, object]) -> None:
    found = scan(tmp_path, "NONE", graph_config)
    assert found == {("db.s.customers.email", "db.s.support_export.notes", "column"),
                     ("db.s.customers.email", "s3://partner-drop.email", "column")}
