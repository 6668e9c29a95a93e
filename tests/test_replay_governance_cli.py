"""A crawl reading a history again reads the stored extraction of each governed text (issue 13).

The governance statements of a history (masking policies, tags, column types of ``CREATE TABLE``
and of a CTAS's casts) are read from the text with the SQL tokenizer: on the solana history 1,082
texts and about 1.5 s of CPU, paid again by ``crawl --reset-watermark``. The first crawl stores each
extraction beside the parse results; the replay reads them instead ("N governance texts not read
again") and changes nothing: the same registry facts and bodies, the same findings, the same edges.
Real components: the JSON Lines file source, the embedded graph, the SQLite registry, the
``lineage-engine`` console script in a subprocess.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

from lineage_engine.registry import Registry
from tests.cli_run import crawl_history, export_edges, run_cli

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
REGISTRY = """assets:
  - {catalog_path: DB.S.CUSTOMERS.EMAIL, classification: restricted, regulatory_tags: [pii], steward: dpo}
"""
ROWS = [
    ("CREATE_MASKING_POLICY", "SECADMIN", "CREATE OR REPLACE MASKING POLICY gov.email_mask AS (val string) "
     "RETURNS string -> CASE WHEN CURRENT_ROLE() IN ('PII_ADMIN') THEN val ELSE '*** masked ***' END"),
    ("CREATE_TABLE", "ETL", "create table db.s.customers (id int, email varchar, joined date)"),
    ("CREATE_TABLE_AS_SELECT", "ETL", "create table db.s.contacts as select id, email::varchar as email, "
     "joined::timestamp_ntz as joined from db.s.customers"),
    ("ALTER_TABLE_MODIFY_COLUMN", "SECADMIN",
     "ALTER TABLE db.s.contacts MODIFY COLUMN email SET MASKING POLICY gov.email_mask"),
    ("CREATE_TABLE", "ETL", "create table db.s.customers_copy (id int, email varchar, joined date)"),
    ("INSERT", "ETL", "insert into db.s.customers_copy select id, email, joined from db.s.customers"),
    ("ALTER_TABLE_MODIFY_COLUMN", "SECADMIN",
     "ALTER TABLE db.s.contacts MODIFY COLUMN email SET MASKING POLICY gov.email_mask"),  # the same text again
]


def at(minute: int) -> datetime:
    return T0 + timedelta(minutes=minute)


def state(config: Path) -> tuple[object, ...]:
    """What the crawls wrote: registry facts, policy bodies, findings after a scan, exported edges."""
    run_cli(config, "scan")
    with Registry(f"sqlite:///{config.parent}/.lineage/registry.db") as registry:
        facts = sorted((f.catalog_path, f.fact, f.key, f.origin, str(f.value), f.valid_from, f.valid_to, f.query_id)
                       for f in registry.fact_history())
        bodies = registry.policy_bodies()
        findings = sorted((f.origin, f.terminal, f.status, f.severity, f.window()) for f in registry.list_findings())
    return facts, bodies, findings, export_edges(config), export_edges(config, "--level", "column")


def test_replay_reads_stored_governance_extractions_and_changes_nothing(tmp_path: Path) -> None:
    config = crawl_history(tmp_path, ROWS, at, REGISTRY)
    before = state(config)
    facts = before[0]
    assert any(f[1] == "masking_policy" for f in facts) and any(f[1] == "data_type" for f in facts)  # type: ignore[union-attr]

    out = run_cli(config, "crawl", "--reset-watermark", "--yes").stdout
    stored = re.search(r"(\d+) governance texts not read again", " ".join(out.split()))
    # every distinct governed text of the history: the policy, two CREATE TABLEs, the CTAS with casts, the ALTER
    assert stored is not None and int(stored.group(1)) == 5, out
    assert state(config) == before
