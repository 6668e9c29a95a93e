"""The erasure and unmasked-columns traces give the scan's answers for the same instant (issue 10 §5).

One semantics, two renderings: over a history with a rename, a swap, a drop and replaces,
``trace downstream_of`` (a dataset origin, walked at table level by the scan) and ``trace
unmasked_pii_columns`` (a column origin) name the same datasets and columns as ``scan
--as-of`` at every instant; each through the installed command, on the embedded graph and
(last test) on the Neo4j test server.
"""

from __future__ import annotations

import json
from datetime import timedelta
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from tests.cli_run import run_cli
from tests.cli_setup import crawled_installation
from tests.history_file import write_history

T0 = datetime(2026, 4, 1, 8, 0, tzinfo=timezone.utc)
ROWS = [
    ("CREATE_TABLE", "create table db.s.customers (id int, email varchar)"),                          # 08:00
    ("CREATE_TABLE", "create table db.s.orders (id int, amount number)"),                             # 08:01
    ("CREATE_TABLE_AS_SELECT", "create table db.s.a as select c.id, c.email, o.amount from db.s.customers c "
                               "join db.s.orders o on c.id = o.id"),                                   # 08:02
    ("CREATE_TABLE_AS_SELECT", "create table db.s.b as select id, email, amount from db.s.a"),        # 08:03
    ("ALTER_TABLE", "alter table db.s.a rename to db.s.a2"),                                          # 08:04
    ("CREATE_TABLE_AS_SELECT", "create table db.s.c as select id, email from db.s.a2"),               # 08:05
    ("CREATE_TABLE_AS_SELECT", "create table db.s.d as select id from db.s.customers"),               # 08:06
    ("ALTER_TABLE", "alter table db.s.c swap with db.s.d"),                                           # 08:07
    ("DROP", "drop table db.s.a2"),                                                                    # 08:08
    ("CREATE_TABLE_AS_SELECT", "create or replace table db.s.b as select id from db.s.c"),            # 08:09
    ("CREATE_TABLE_AS_SELECT", "create table db.s.e as select email, amount from db.s.d"),            # 08:10
]
REGISTRY = """assets:
  - catalog_path: DB.S.CUSTOMERS.EMAIL
    classification: restricted
    regulatory_tags: [pii]
  - catalog_path: DB.S.ORDERS
    classification: confidential
    regulatory_tags: [financial]
"""
INSTANTS = ["2026-04-01T08:03:30Z", "2026-04-01T08:07:30Z", "2026-04-01T08:08:30Z", "2026-04-01T08:10:30Z"]
LAST = {  # the last instant, exactly: a2 (renamed from a) is dropped; b was replaced from c (after the
    # swap: the old d, ids only); d holds the old c (copied from a2), and e copied from d.
    "orders": {"db.s.d", "db.s.e"},
    "email": {"db.s.d.email", "db.s.e.email"},
}


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("agree")
    return crawled_installation(folder, write_history(folder / "history.jsonl", ROWS, T0), REGISTRY)


def answers(config: Path, instant: str) -> tuple[set[str], set[str], set[str], set[str]]:
    """(scan terminals of orders, downstream_of orders, scan terminals of the e-mail, unmasked_pii_columns)."""
    scan = json.loads(run_cli(config, "scan", "--as-of", instant, "--format", "json").stdout)
    down = json.loads(run_cli(config, "trace", "downstream_of", "-p", "dataset=db.s.orders", "--as-of", instant,
                              "--format", "json").stdout)
    cols = json.loads(run_cli(config, "trace", "unmasked_pii_columns", "-p", "origins=db.s.customers.email",
                              "--as-of", instant, "--format", "json").stdout)
    return ({r["terminal"] for r in scan if r["origin"] == "db.s.orders"}, {r["dataset"] for r in down},
            {r["terminal"] for r in scan if r["origin"] == "db.s.customers.email"}, {r["terminal"] for r in cols})


@pytest.mark.parametrize("instant", INSTANTS)
def test_traces_name_what_the_scan_names(crawled: Path, instant: str) -> None:
    scan_orders, downstream, scan_email, unmasked = answers(crawled, instant)
    assert downstream == scan_orders
    assert unmasked == scan_email
    if instant == INSTANTS[-1]:
        assert (scan_orders, scan_email) == (LAST["orders"], LAST["email"])


def test_on_neo4j_too(neo4j_graph: Any, tmp_path: Path) -> None:
    """The same history on the Neo4j test server: the same answers as on the embedded graph."""
    config = crawled_installation(tmp_path, write_history(tmp_path / "history.jsonl", ROWS, T0), REGISTRY,
                                  neo4j=neo4j_graph.options)
    scan_orders, downstream, scan_email, unmasked = answers(config, INSTANTS[-1])
    assert (scan_orders, downstream) == (LAST["orders"], LAST["orders"])
    assert (scan_email, unmasked) == (LAST["email"], LAST["email"])


# -- masking with time: views enforcing their base column's policy, copies by role, tag policies ------

MASKED_ROWS = [  # (query_type, role, text), one a minute from T0
    ("CREATE_TABLE", "ETL", "create table db.s.customers (id int, email varchar)"),                      # 0
    ("CREATE_VIEW", "ETL", "create view db.s.v_early as select id, email from db.s.customers"),          # 1
    ("CREATE_TABLE_AS_SELECT", "ETL", "create table db.s.early as select id, email from db.s.customers"),  # 2
    ("CREATE_MASKING_POLICY", "SECADMIN", "create masking policy gov.email_mask as (val string) returns string "
     "-> case when current_role() in ('PII_ADMIN') then val else '***' end"),                             # 3
    ("ALTER_TABLE", "SECADMIN", "alter table db.s.customers modify column email set masking policy email_mask"),
    ("CREATE_VIEW", "ETL", "create view db.s.v_late as select id, email from db.s.customers"),           # 5
    ("CREATE_TABLE_AS_SELECT", "ANALYST", "create table db.s.from_view as select id, email from db.s.v_late"),
    ("CREATE_TABLE_AS_SELECT", "PII_ADMIN", "create table db.s.admin as select id, email from db.s.customers"),
    ("ALTER_TABLE", "SECADMIN", "alter table db.s.admin modify column email set tag pii = 'email'"),       # 8
    ("ALTER_TAG", "SECADMIN", "alter tag pii set masking policy email_mask"),                              # 9
]
MASKED_AT = {  # minute -> the e-mail columns exposed then (scan and trace alike)
    1.5: {"db.s.v_early.email"},
    3.5: {"db.s.v_early.email", "db.s.early.email"},
    4.5: {"db.s.early.email"},  # the views show the policy; the copy made before it holds clear values
    7.5: {"db.s.early.email", "db.s.admin.email"},  # PII_ADMIN copied clear values; ANALYST's copy is masked
    9.5: {"db.s.early.email"},  # admin.email carries a tag that masks since minute 9
}


def test_traces_apply_masking_with_time_as_the_scan_does(tmp_path: Path) -> None:
    history = tmp_path / "history.jsonl"
    history.write_text("".join(json.dumps({
        "query_id": f"q{n}", "query_text": text, "query_type": kind,
        "start_time": (T0 + timedelta(minutes=n)).isoformat(), "end_time": (T0 + timedelta(minutes=n)).isoformat(),
        "execution_status": "SUCCESS", "database_name": "DB", "schema_name": "S", "session_id": "7",
        "user_name": "U", "role_name": role}) + "\n" for n, (kind, role, text) in enumerate(MASKED_ROWS)))
    config = crawled_installation(tmp_path, history, REGISTRY)
    for minute, expected in MASKED_AT.items():
        instant = (T0 + timedelta(minutes=minute)).isoformat()
        scan = json.loads(run_cli(config, "scan", "--as-of", instant, "--format", "json").stdout)
        cols = json.loads(run_cli(config, "trace", "unmasked_pii_columns", "-p", "origins=db.s.customers.email",
                                  "--as-of", instant, "--format", "json").stdout)
        assert ({r["terminal"] for r in scan}, {r["terminal"] for r in cols}) == (expected, expected), minute
