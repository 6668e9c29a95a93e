"""Database replication to other accounts is egress (review N5): ``ALTER DATABASE … ENABLE REPLICATION |
FAILOVER TO ACCOUNTS`` and replication / failover groups, through the installed command."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli_run import run_cli
from tests.review.history import crawled

ROWS = [
    ("09:00", "CREATE_TABLE", "create table db.s.pii (id int, email varchar)"),
    ("09:01", "CREATE_TABLE_AS_SELECT", "create table other.s.copy as select id, email from db.s.pii"),
    ("09:02", "CREATE_TABLE_AS_SELECT", "create table third.s.ids as select id from db.s.pii"),
    ("09:10", "ALTER_DATABASE", "alter database db enable replication to accounts org.acct3"),
    ("09:20", "CREATE_REPLICATION_GROUP",
     "create replication group rg object_types = databases allowed_databases = other, third "
     "allowed_accounts = org.dr replication_schedule = '10 MINUTE'"),
    ("09:30", "ALTER_DATABASE", "alter database db disable replication"),
]


def _terminals(config: Path, *args: str) -> dict[str, str]:
    rows = json.loads(run_cli(config, "scan", "--format", "json", *args).stdout)
    return {row["terminal"]: row.get("kind", "") for row in rows}


def test_a_replicated_database_is_egress_of_every_dataset_in_it(tmp_path: Path) -> None:
    config = crawled(tmp_path, ROWS)
    egress = {(r["destination"], r["kind"], tuple(r["path"]), r["query_id"])
              for r in json.loads(run_cli(config, "egress", "--format", "json").stdout)}
    # the origin's own database, and the copy's database through the group (third holds no e-mail)
    assert egress == {
        ("replication:db", "replication", ("db.s.pii.email", "replication:db"), "q003"),
        ("replication:group:rg", "replication", ("db.s.pii.email", "other.s.copy.email", "replication:group:rg"),
         "q004")}
    # the scan records them as egress findings; as of 09:15 only the database replicated by then
    run_cli(config, "scan")
    findings = {(f["terminal"], f["kind"]) for f in json.loads(run_cli(config, "findings", "--format", "json").stdout)}
    assert {("replication:db", "egress"), ("replication:group:rg", "egress")} <= findings
    assert set(_terminals(config, "--as-of", "2026-05-04T09:05:00Z")) == {"other.s.copy.email"}
    then = _terminals(config, "--as-of", "2026-05-04T09:15:00Z")
    assert "replication:db" in then and "replication:group:rg" not in then
    drift = {(d["kind"], d["new"], d["at"]) for d in
             json.loads(run_cli(config, "drift", "--since", "2026-05-04", "--format", "json").stdout)}
    assert ("new_egress", "replication:db", "2026-05-04T09:10:00+00:00") in drift
    assert ("new_egress", "replication:group:rg", "2026-05-04T09:20:00+00:00") in drift


def test_a_secondary_replica_is_not_egress(tmp_path: Path) -> None:
    # CREATE DATABASE … AS REPLICA OF / a group AS REPLICA OF: data coming into this account
    config = crawled(tmp_path, [*ROWS[:3],
                                ("09:10", "CREATE_DATABASE", "create database db2 as replica of org.primary.db2"),
                                ("09:11", "CREATE_REPLICATION_GROUP", "create replication group rg2 as replica of org.p.rg2")])
    assert json.loads(run_cli(config, "egress", "--format", "json").stdout) == []
