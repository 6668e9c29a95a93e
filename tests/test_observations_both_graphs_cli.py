"""Issue 10 observations 1-5 on both graph backends, through the installed command.

One history holds each observation's statements (1: one redacted CASE branch; 2: DETOKENIZE
after tokenizing; 3: RIGHT(ssn, 4) and counts; 4: a masking policy set after a copy; 5: DROP
SCHEMA and DROP DATABASE); it is crawled and scanned on the embedded graph and on the Neo4j
test server, and both ledgers must hold exactly the findings the observations call for.
(Observations 6 and 7 run on Neo4j in tests/test_scan_as_of_cli.py.)
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from tests.cli_run import file_config, run_cli
from tests.cli_setup import neo4j_config
from tests.history_file import write_history

T0 = datetime(2026, 5, 4, 7, 0, tzinfo=timezone.utc)
ROWS = [
    ("CREATE_TABLE", "create table db.s.customers (id int, email varchar, is_vip boolean)"),             # 0
    ("CREATE_TABLE_AS_SELECT", "create table db.s.contacts as select id, "
                               "case when is_vip then 'REDACTED' else email end as contact from db.s.customers"),
    ("CREATE_TABLE_AS_SELECT", "create table db.s.tokens as select id, tokenize_email(email) as email_token "
                               "from db.s.customers"),                                                  # 2
    ("CREATE_TABLE_AS_SELECT", "create table db.s.support as select id, detokenize(email_token) as email "
                               "from db.s.tokens"),                                                     # 3
    ("CREATE_TABLE", "create table db.s.people (id int, ssn varchar, email varchar)"),                  # 4
    ("CREATE_TABLE_AS_SELECT", "create table db.s.last4 as select id, right(ssn, 4) as ssn_last4 from db.s.people"),
    ("CREATE_TABLE_AS_SELECT", "create table db.s.stats as select count(distinct email) as emails from db.s.people"),
    ("CREATE_TABLE_AS_SELECT", "create table db.s.crm as select id, email from db.s.customers"),       # 7
    ("ALTER_TABLE", "alter table db.s.crm modify column email set masking policy gov.email_mask"),     # 8
    ("CREATE_TABLE_AS_SELECT", "create table db.scratch.copy1 as select id, email from db.s.customers"),
    ("CREATE_TABLE_AS_SELECT", "create table sandbox.tmp.copy2 as select email from db.scratch.copy1"),  # 10
    ("CREATE_TABLE_AS_SELECT", "create table db.keep.copy3 as select email from db.scratch.copy1"),    # 11
    ("DROP", "drop schema db.scratch"),                                                                # 12
    ("DROP", "drop database sandbox"),                                                                 # 13
]
REGISTRY = "assets:\n" + "".join(
    f"  - {{catalog_path: {c}, classification: restricted, regulatory_tags: [pii], steward: dpo}}\n"
    for c in ("DB.S.CUSTOMERS.EMAIL", "DB.S.PEOPLE.SSN", "DB.S.PEOPLE.EMAIL"))
EMAIL = "db.s.customers.email"
EXPECTED = {
    (EMAIL, "db.s.contacts.contact", "open", "HIGH", "full", ""),  # 1: the ELSE branch carries the e-mail
    (EMAIL, "db.s.support.email", "open", "HIGH", "full", ""),  # 2: detokenized (db.s.tokens is masked)
    ("db.s.people.ssn", "db.s.last4.ssn_last4", "open", "MEDIUM", "partial", ""),  # 3: stats counts: none
    (EMAIL, "db.s.crm.email", "resolved", "HIGH", "full", "07:07:00 07:08:00"),  # 4: unmasked from 7 to 8
    (EMAIL, "db.keep.copy3.email", "open", "HIGH", "full", ""),  # 5: copy1 and copy2 were dropped with theirs
}


def ledger(config: Path) -> set[tuple[str, ...]]:
    run_cli(config, "migrate")
    run_cli(config, "registry", "import", str(config.parent.parent / "registry.yaml"))
    run_cli(config, "crawl")
    run_cli(config, "scan")
    with sqlite3.connect(config.parent / ".lineage" / "registry.db") as db:
        rows = db.execute("select origin, terminal, status, severity, exposure, unmasked_from, unmasked_to "
                          "from findings").fetchall()
    return {(o, t, s, sev, e, f"{f[11:19]} {u[11:19]}" if u else "") for o, t, s, sev, e, f, u in rows}


def test_observations_1_to_5_on_both_graphs(neo4j_graph: Any, tmp_path: Path) -> None:
    history = write_history(tmp_path / "history.jsonl", ROWS, T0)
    (tmp_path / "registry.yaml").write_text(REGISTRY)
    assert ledger(file_config(tmp_path / "embedded", history)) == EXPECTED
    (tmp_path / "neo4j").mkdir()
    assert ledger(neo4j_config(tmp_path / "neo4j", history, neo4j_graph.options)) == EXPECTED
