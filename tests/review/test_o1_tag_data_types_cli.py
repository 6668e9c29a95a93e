"""A tag's masking policy masks only columns of its data type (review s12 O1), through the installed CLI.

Snowflake "Tag-based masking policies": "When the data type in the masking policy signature and
the data type of the column match, the tagged column is automatically protected"; a tag holds one
policy per data type. A table tag with only a STRING policy leaves the table's DATE column clear:
taking every tagged column as masked hid that copy of a date of birth (a false negative). A
column whose type is not known counts as unmasked, and the finding says why.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

from lineage_engine.registry import Registry
from tests.cli_run import crawl_history, run_cli

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
REGISTRY = """assets:
  - {catalog_path: DB.S.CUSTOMERS.EMAIL, classification: restricted, regulatory_tags: [pii], steward: dpo}
  - {catalog_path: DB.S.CUSTOMERS.DOB, classification: restricted, regulatory_tags: [pii], steward: dpo}
"""
STR_MASK = ("CREATE OR REPLACE MASKING POLICY gov.str_mask AS (val string) RETURNS string -> "
            "CASE WHEN CURRENT_ROLE() IN ('PII_ADMIN') THEN val ELSE '***' END")
ROWS = [
    ("CREATE_TABLE", "ETL", "create table db.s.customers (id int, email varchar(200), dob date)"),  # 0
    ("CREATE_TABLE_AS_SELECT", "ETL", "create table db.s.crm as select id, email, dob from db.s.customers"),  # 1
    ("INSERT", "ETL", "insert into db.s.legacy (email) select email from db.s.customers"),  # 2: legacy's type unknown
    ("CREATE_MASKING_POLICY", "SECADMIN", STR_MASK),  # 3
    ("ALTER_TABLE", "SECADMIN", "alter table db.s.crm set tag governance.tags.pii = 'crm'"),  # 4: all its columns
    ("ALTER_TABLE", "SECADMIN", "alter table db.s.legacy modify column email set tag pii = 'email'"),  # 5
    ("ALTER_TAG", "SECADMIN", "alter tag governance.tags.pii set masking policy gov.str_mask"),  # 6
]


def at(n: float) -> datetime:
    return T0 + timedelta(minutes=n)


def iso(n: float) -> str:
    return at(n).isoformat().replace("+00:00", "Z")


def crawl_and_scan(tmp_path: Path, rows: list[tuple[str, str, str]]) -> Path:
    config = crawl_history(tmp_path, rows, at, REGISTRY)
    run_cli(config, "scan")
    return config


def findings(tmp_path: Path) -> dict[str, tuple[str, str, str]]:
    with Registry(f"sqlite:///{tmp_path}/work/.lineage/registry.db") as registry:
        return {f.terminal: (f.status, f.window(), f.note) for f in registry.list_findings()}


def test_a_tag_policy_of_another_data_type_leaves_the_column_clear(tmp_path: Path) -> None:
    config = crawl_and_scan(tmp_path, ROWS)
    found = findings(tmp_path)
    # crm.email is VARCHAR (a plain copy of customers.email): masked by the tag's STRING policy at 6
    assert found["db.s.crm.email"][:2] == ("resolved", f"unmasked from {iso(1)} to {iso(6)}")
    # crm.dob is a DATE: the tag has no DATE policy, so it stays clear (before: resolved, a false negative)
    assert found["db.s.crm.dob"] == (
        "open", "", "db.s.crm.dob is DATE; a tag it carries has masking policies only for other data types: "
                    "str_mask (VARCHAR)")
    # legacy was filled by an INSERT and never created in the history: its type is not known
    status, window, note = found["db.s.legacy.email"]
    assert (status, window) == ("open", "")
    assert note.startswith("db.s.legacy.email carries a tag with masking policy str_mask (VARCHAR), which masks "
                           "only columns of its data type; the data type of db.s.legacy.email is not known")
    assert note.endswith(": counted as unmasked")
    shown = run_cli(config, "findings").stdout.replace("\n", " ")
    assert "db.s.crm.dob is DATE" in " ".join(shown.split())

    # a column added with a stated type is compared by it; a CTAS of a DATE column keeps DATE
    history = tmp_path / "history.jsonl"
    with history.open("a") as handle:
        for n, (kind, text) in enumerate([
                ("ALTER_TABLE_ADD_COLUMN", "alter table db.s.legacy add column birth string"),
                ("CREATE_TABLE_AS_SELECT", "create or replace table db.s.legacy as select email, dob as birth "
                                           "from db.s.customers")], start=7):
            handle.write(json.dumps({
                "query_id": f"q{n}", "query_text": text, "query_type": kind, "start_time": at(n).isoformat(),
                "end_time": at(n).isoformat(), "execution_status": "SUCCESS", "database_name": "DB",
                "schema_name": "S", "session_id": "7", "user_name": "ETL", "role_name": "ETL"}) + "\n")
    run_cli(config, "crawl")
    run_cli(config, "scan")
    found = findings(tmp_path)
    # replaced at 8: the old table's tag is gone with it, so nothing masks the new copies
    assert found["db.s.legacy.email"][0] == "open" and found["db.s.legacy.birth"][0] == "open"
    late = json.loads(run_cli(config, "scan", "--as-of", at(7.5).isoformat(), "--format", "json").stdout)
    assert "db.s.legacy.email" in {r["terminal"] for r in late}  # still the type-unknown column at 7.5
