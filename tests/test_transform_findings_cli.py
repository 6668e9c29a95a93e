"""Issue 10 observations 1-3 as a user meets them: a small history, the installed command, exact findings.

Each history runs through ``lineage-engine migrate / registry import / crawl / scan`` in a
subprocess (file source, embedded graph, SQLite registry); the findings ledger is then read
as stored. Before issue 10 each of these answered wrongly:

1. ``CASE WHEN is_vip THEN 'REDACTED' ELSE email END`` was ``masked``: no finding for the raw
   e-mail of the ELSE branch.
2. A tokenized column ``DETOKENIZE``d downstream was never reported again.
3. ``RIGHT(ssn, 4)`` was a full HIGH exposure, and ``COUNT(DISTINCT email)`` one too.
5. ``DROP SCHEMA`` and ``DROP DATABASE`` closed nothing: copies inside stayed open findings.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

import pytest

from tests.cli_run import file_config, run_cli
from tests.history_file import write_history

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
PII = "    classification: restricted\n    regulatory_tags: [pii]\n    steward: dpo@example.com\n"


def findings(tmp_path: Path, rows: list[tuple[str, str]], columns: list[str], extra: str = "") -> set[tuple[str, ...]]:
    """Crawl ``rows`` and scan with ``columns`` classified PII; return (origin, terminal, severity, level) of open findings."""
    history = write_history(tmp_path / "history.jsonl", rows, T0)
    (tmp_path / "assets.yaml").write_text("assets:\n" + "".join(f"  - catalog_path: {c}\n{PII}" for c in columns))
    config = file_config(tmp_path / "cfg", history, extra=extra)
    run_cli(config, "migrate")
    run_cli(config, "registry", "import", str(tmp_path / "assets.yaml"))
    run_cli(config, "crawl")
    scan = run_cli(config, "scan")
    with sqlite3.connect(config.parent / ".lineage" / "registry.db") as db:
        found = {tuple(r) for r in db.execute("select origin, terminal, severity, level from findings where status = 'open'")}
    return found | ({("scan says partial",)} if " partial " in scan.stdout else set())


def test_one_masking_constant_in_one_branch_masks_nothing(tmp_path: Path) -> None:
    rows = [
        ("CREATE_TABLE", "create table db.s.customers (id int, email varchar, is_vip boolean)"),
        ("CREATE_TABLE_AS_SELECT", "create table db.s.contacts as select id, "
                                   "case when is_vip then 'REDACTED' else email end as contact from db.s.customers"),
        ("CREATE_TABLE_AS_SELECT", "create table db.s.hashed as select id, "
                                   "case when is_vip then sha2(email) else '***' end as contact from db.s.customers"),
        ("CREATE_TABLE_AS_SELECT", "create table db.s.segments as select id, "
                                   "iff(email like '%@corp.com', 'staff', 'customer') as segment from db.s.customers"),
    ]
    assert findings(tmp_path, rows, ["DB.S.CUSTOMERS.EMAIL"]) == {
        ("db.s.customers.email", "db.s.contacts.contact", "HIGH", "column"),
    }  # every value branch of hashed.contact is masked; segments.segment chooses a constant


def test_a_detokenized_column_reopens_the_path_that_tokenizing_closed(tmp_path: Path) -> None:
    rows = [
        ("CREATE_TABLE", "create table db.s.customers (id int, email varchar)"),
        ("CREATE_TABLE_AS_SELECT", "create table db.s.tokens as select id, tokenize_email(email) as email_token "
                                   "from db.s.customers"),
        ("CREATE_TABLE_AS_SELECT", "create table db.s.tokens_copy as select id, email_token from db.s.tokens"),
        ("CREATE_TABLE_AS_SELECT", "create table db.s.support as select id, detokenize(email_token) as email "
                                   "from db.s.tokens_copy"),
        ("CREATE_TABLE_AS_SELECT", "create table db.s.support_mart as select id, lower(email) as email from db.s.support"),
    ]
    assert findings(tmp_path, rows, ["DB.S.CUSTOMERS.EMAIL"]) == {
        ("db.s.customers.email", "db.s.support.email", "HIGH", "column"),
        ("db.s.customers.email", "db.s.support_mart.email", "HIGH", "column"),
    }  # the tokens themselves (tokens, tokens_copy) are masked


ROWS_3 = [
    ("CREATE_TABLE", "create table db.s.people (id int, ssn varchar, email varchar)"),
    ("CREATE_TABLE_AS_SELECT", "create table db.s.last4 as select id, right(ssn, 4) as ssn_last4 from db.s.people"),
    ("CREATE_TABLE_AS_SELECT", "create table db.s.stats as select count(distinct email) as emails, "
                               "approx_count_distinct(ssn) as ssns, count(*) as people from db.s.people"),
    ("CREATE_TABLE_AS_SELECT", "create table db.s.firsts as select min(email) as first_email from db.s.people"),
]


def test_a_fragment_is_a_lower_exposure_and_a_count_is_none(tmp_path: Path) -> None:
    assert findings(tmp_path, ROWS_3, ["DB.S.PEOPLE.SSN", "DB.S.PEOPLE.EMAIL"]) == {
        ("db.s.people.ssn", "db.s.last4.ssn_last4", "MEDIUM", "column"),  # one level below HIGH
        ("db.s.people.email", "db.s.firsts.first_email", "HIGH", "column"),  # MIN carries the value
        ("scan says partial",),
    }  # stats counts values: no finding
    config = tmp_path / "cfg" / "lineage-engine.config.yaml"  # the ledger keeps the exposure (issue 10 §6)
    with sqlite3.connect(config.parent / ".lineage" / "registry.db") as db:
        assert dict(db.execute("select terminal, exposure from findings")) == {
            "db.s.last4.ssn_last4": "partial", "db.s.firsts.first_email": "full"}
    listed = {r["terminal"]: r for r in json.loads(run_cli(config, "findings", "--format", "json").stdout)}
    assert {t: r["exposure"] for t, r in listed.items()} == {
        "db.s.last4.ssn_last4": "partial", "db.s.firsts.first_email": "full"}
    partial = listed["db.s.last4.ssn_last4"]["id"]
    assert json.loads(run_cli(config, "findings", "show", str(partial), "--format", "json").stdout)["exposure"] == (
        "partial")
    assert "exposure partial" in run_cli(config, "findings", "show", str(partial)).stdout
    assert "partial" in run_cli(config, "findings").stdout
    opened = json.loads(run_cli(config, "findings", "show", str(partial), "--format", "json").stdout)["events"][0]
    assert (opened["event"], opened["details"]["exposure"]) == ("opened", "partial")


def test_partial_exposure_severity_is_configurable(tmp_path: Path) -> None:
    extra = "compliance: {classification_db: 'sqlite:///.lineage/registry.db', risk_thresholds: " \
            "{pii_exposure: HIGH, partial_exposure: LOW}}\n"
    found = findings(tmp_path, ROWS_3[:2], ["DB.S.PEOPLE.SSN"], extra=extra)
    assert found == {("db.s.people.ssn", "db.s.last4.ssn_last4", "LOW", "column"), ("scan says partial",)}


@pytest.mark.parametrize(
    ("entry", "key"),
    [("'vault.reveal(x)'", "compliance.unmasking_functions"), ("'my mask'", "compliance.masking_functions")],
)
def test_a_function_list_entry_that_is_no_name_fails_at_start_up(tmp_path: Path, entry: str, key: str) -> None:
    history = write_history(tmp_path / "history.jsonl", ROWS_3[:1], T0)
    name = key.split(".")[1]
    config = file_config(tmp_path / "cfg", history)
    config.write_text(config.read_text().replace(
        'compliance: {classification_db: "sqlite:///.lineage/registry.db"}',
        f'compliance: {{classification_db: "sqlite:///.lineage/registry.db", {name}: [DETOKENIZE, {entry}]}}'))
    result = run_cli(config, "crawl", check=False)
    assert result.returncode == 2, result.stdout + result.stderr
    assert key in result.stderr + result.stdout and "Traceback" not in result.stderr


ROWS_5 = [
    ("CREATE_TABLE", "create table db.raw.customers (id int, email varchar)"),
    ("CREATE_TABLE_AS_SELECT", "create table db.scratch.copy1 as select id, email from db.raw.customers"),
    ("CREATE_TABLE_AS_SELECT", "create table db.scratch.copy2 as select email from db.scratch.copy1"),
    ("CREATE_TABLE_AS_SELECT", "create table sandbox.tmp.copy3 as select email from db.raw.customers"),
    ("CREATE_TABLE_AS_SELECT", "create table db.keep.copy4 as select email from db.scratch.copy2"),
]


@pytest.mark.parametrize(
    ("statements", "expected"),
    [
        # both containers dropped: every copy inside is gone; copy4 (elsewhere) still holds what it copied
        ([("DROP", "drop schema db.scratch"), ("DROP", "drop database sandbox")],
         {"db.keep.copy4.email"}),
        # a replaced schema is an empty one
        ([("CREATE", "create or replace schema db.scratch"), ("DROP", "drop database if exists sandbox")],
         {"db.keep.copy4.email"}),
        # undropped: back as they were
        ([("DROP", "drop schema db.scratch"), ("UNDROP", "undrop schema db.scratch")],
         {"db.scratch.copy1.email", "db.scratch.copy2.email", "sandbox.tmp.copy3.email", "db.keep.copy4.email"}),
        # renamed: the copies are found under their new names
        ([("ALTER", "alter schema db.scratch rename to db.archive")],
         {"db.archive.copy1.email", "db.archive.copy2.email", "sandbox.tmp.copy3.email", "db.keep.copy4.email"}),
    ],
    ids=["drop", "create-or-replace", "undrop", "rename"],
)
def test_dropping_a_schema_or_database_closes_the_copies_inside(
        tmp_path: Path, statements: list[tuple[str, str]], expected: set[str]) -> None:
    found = findings(tmp_path, ROWS_5 + statements, ["DB.RAW.CUSTOMERS.EMAIL"])
    assert {terminal for _, terminal, *_ in found} == expected
