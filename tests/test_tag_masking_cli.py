"""Tag-based masking from the query history, with time, through the installed CLI (issue 10 §2).

``ALTER TAG t SET MASKING POLICY p`` masks every column that carries tag ``t`` (set on the
column, or on its table: all its columns) from the later of the two statements on, until the
policy is unset on the tag or the tag on the column (Snowflake's "Tag-based masking policies").
A copy made before was readable in clear until then: a resolved finding "unmasked from T1 to
T2"; a copy out of a tag-masked column holds what its role saw through the tag's policy.
"""

from __future__ import annotations

import json
from pathlib import Path

from lineage_engine.registry import Registry
from tests.cli_run import run_cli
from tests.test_policy_history_cli import POLICY, at, brief, iso, run

ROWS = [
    ("CREATE_TABLE", "ETL", "create table db.s.customers (id int, email varchar)"),  # 0
    ("CREATE_TABLE_AS_SELECT", "ETL", "create table db.s.crm as select id, email from db.s.customers"),  # 1
    ("ALTER_TABLE", "SECADMIN", "alter table db.s.crm modify column email set tag governance.tags.pii = 'email'"),
    ("CREATE_TABLE_AS_SELECT", "ETL", "create table db.s.crm2 as select id, email from db.s.customers"),  # 3
    ("ALTER_TABLE", "SECADMIN", "alter table crm2 set tag pii = 'whole table'"),  # 4: a table tag
    ("CREATE_MASKING_POLICY", "SECADMIN", POLICY),  # 5
    ("ALTER_TAG", "SECADMIN", "alter tag governance.tags.pii set masking policy gov.email_mask"),  # 6
    ("CREATE_TABLE_AS_SELECT", "ANALYST", "create table db.s.analyst_copy as select id, email from db.s.crm"),
    ("CREATE_TABLE_AS_SELECT", "PII_ADMIN", "create table db.s.admin_copy as select id, email from db.s.crm2"),
]
UNSET = "alter tag if exists pii unset masking policy gov.email_mask"  # 9


def exposed(config: Path, minute: float) -> set[str]:
    instant = (at(0) + (at(1) - at(0)) * minute).isoformat()
    return {r["terminal"] for r in json.loads(run_cli(config, "scan", "--as-of", instant, "--format", "json").stdout)}


def test_a_tag_policy_masks_the_columns_carrying_the_tag_from_its_time(tmp_path: Path) -> None:
    findings, out, config = run(tmp_path, ROWS)
    assert brief(findings) == {
        ("db.s.crm.email", "resolved", "HIGH", f"unmasked from {iso(1)} to {iso(6)}"),  # column tag
        ("db.s.crm2.email", "resolved", "HIGH", f"unmasked from {iso(3)} to {iso(6)}"),  # table tag
        ("db.s.admin_copy.email", "open", "HIGH", ""),  # the policy shows PII_ADMIN clear text
    }  # ANALYST's copy out of the tag-masked column holds masked values
    notes = {f.terminal: f.note for f in findings}
    assert notes["db.s.admin_copy.email"] == (
        "copied from db.s.crm2.email by role PII_ADMIN, which masking policy email_mask shows clear values to "
        "(query q8)")
    assert f"unmasked from {iso(1)} to {iso(6)}" in out.replace("\n", "")
    crm = next(f for f in findings if f.terminal == "db.s.crm.email")  # findings show explains it
    shown = json.loads(run_cli(config, "findings", "show", str(crm.id), "--format", "json").stdout)
    assert (shown["status"], shown["unmasked_from"], shown["unmasked_to"]) == ("resolved", at(1).isoformat(),
                                                                             at(6).isoformat())
    assert [e["event"] for e in shown["events"]] == ["opened", "resolved"]
    assert shown["events"][1]["details"]["unmasked_to"] == at(6).isoformat()
    assert f"unmasked from {iso(1)} to {iso(6)}" in run_cli(config, "findings", "show", str(crm.id)).stdout

    history = tmp_path / "history.jsonl"  # the tag loses its policy: the tagged copies are exposed again
    with history.open("a") as handle:
        handle.write(json.dumps({
            "query_id": "q9", "query_text": UNSET, "query_type": "ALTER_TAG", "start_time": at(9).isoformat(),
            "end_time": at(9).isoformat(), "execution_status": "SUCCESS", "database_name": "DB",
            "schema_name": "S", "session_id": "7", "user_name": "SEC", "role_name": "SECADMIN"}) + "\n")
    run_cli(config, "crawl")
    run_cli(config, "scan")
    with Registry(f"sqlite:///{tmp_path}/work/.lineage/registry.db") as registry:
        assert brief(registry.list_findings()) == {
            ("db.s.crm.email", "open", "HIGH", ""), ("db.s.crm2.email", "open", "HIGH", ""),
            ("db.s.admin_copy.email", "open", "HIGH", "")}

    # as of any instant: the tags and the tag's policy of that instant
    assert exposed(config, 2.5) == {"db.s.crm.email"}  # tagged, but the tag has no policy yet
    assert exposed(config, 4.5) == {"db.s.crm.email", "db.s.crm2.email"}
    assert exposed(config, 6.5) == set()
    assert exposed(config, 8.5) == {"db.s.admin_copy.email"}
    assert exposed(config, 9.5) == {"db.s.crm.email", "db.s.crm2.email", "db.s.admin_copy.email"}


def test_unsetting_the_tag_on_the_column_ends_its_masking(tmp_path: Path) -> None:
    findings, _, _ = run(tmp_path, [
        ("CREATE_TABLE", "ETL", "create table db.s.customers (id int, email varchar)"),  # 0
        ("CREATE_TABLE_AS_SELECT", "ETL", "create table db.s.crm as select id, email from db.s.customers"),  # 1
        ("ALTER_TAG", "SECADMIN", "alter tag pii set masking policy email_mask"),  # 2: before the tag is set
        ("ALTER_TABLE", "SECADMIN", "alter table db.s.crm modify column email set tag pii = 'email'"),  # 3
        ("ALTER_TABLE", "SECADMIN", "alter table db.s.crm modify column email unset tag pii"),  # 4
    ])
    assert brief(findings) == {("db.s.crm.email", "open", "HIGH", "")}  # clear again since minute 4
