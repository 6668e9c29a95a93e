"""``scan --as-of T`` and ``findings --format`` through the installed command (issue 10 §5).

A small history: the e-mail is copied through an intermediate that is dropped later, the
copy is replaced without the e-mail, and a second copy is made. The exposure as of each
instant is asserted exactly; ``scan --as-of`` must leave the registry (findings ledger,
alert outbox) byte-identical.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import sqlite3
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from tests.cli_run import run_cli
from tests.cli_setup import crawled_installation
from tests.history_file import write_history

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
ROWS = [
    ("CREATE_TABLE", "create table db.s.customers (id int, email varchar)"),                        # 09:00
    ("CREATE_TABLE_AS_SELECT", "create table db.s.stage as select id, email from db.s.customers"),  # 09:01
    ("CREATE_TABLE_AS_SELECT", "create table db.s.export as select id, email from db.s.stage"),     # 09:02
    ("DROP", "drop table db.s.stage"),                                                               # 09:03
    ("CREATE_TABLE_AS_SELECT", "create or replace table db.s.export as select id from db.s.customers"),  # 09:04
    ("CREATE_TABLE_AS_SELECT", "create table db.s.kept as select email from db.s.customers"),       # 09:05
]
REGISTRY = """assets:
  - catalog_path: DB.S.CUSTOMERS.EMAIL
    classification: restricted
    regulatory_tags: [pii]
    steward: dpo@example.com
"""
EXPECTED = {  # instant -> exposure paths (terminal, level, path origin first)
    "2026-03-02T09:01:30Z": [("db.s.stage.email", "column", ["db.s.customers.email", "db.s.stage.email"])],
    "2026-03-02T09:02:30Z": [
        ("db.s.export.email", "column", ["db.s.customers.email", "db.s.stage.email", "db.s.export.email"]),
        ("db.s.stage.email", "column", ["db.s.customers.email", "db.s.stage.email"])],
    # stage is dropped: the copy made through it still holds the e-mail
    "2026-03-02T09:03:30Z": [
        ("db.s.export.email", "column", ["db.s.customers.email", "db.s.stage.email", "db.s.export.email"])],
    "2026-03-02T09:04:30Z": [],  # export replaced without the e-mail
    "2026-03-02T09:05:30Z": [("db.s.kept.email", "column", ["db.s.customers.email", "db.s.kept.email"])],
}


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("asof")
    config = crawled_installation(folder, write_history(folder / "history.jsonl", ROWS, T0), REGISTRY)
    run_cli(config, "scan")  # now: kept.email is an open finding with an alert in the outbox
    return config


def registry_state(config: Path) -> tuple[str, list[tuple[object, ...]], list[tuple[object, ...]],
                                          list[tuple[object, ...]]]:
    db = config.parent / ".lineage" / "registry.db"
    digest = hashlib.sha256(db.read_bytes()).hexdigest()
    with sqlite3.connect(db) as conn:
        findings = conn.execute("select * from findings order by id").fetchall()
        outbox = conn.execute("select * from alert_outbox order by id").fetchall()
        events = conn.execute("select * from finding_events order by id").fetchall()
    return digest, findings, outbox, events


@pytest.mark.parametrize("instant", sorted(EXPECTED))
def test_scan_as_of_answers_the_exposure_of_that_instant(crawled: Path, instant: str) -> None:
    out = run_cli(crawled, "scan", "--as-of", instant, "--format", "json").stdout
    rows = json.loads(out)
    assert [(r["terminal"], r["level"], r["path"]) for r in rows] == EXPECTED[instant]
    assert all(r["origin"] == "db.s.customers.email" and r["severity"] == "HIGH" for r in rows)


def test_scan_as_of_is_read_only(crawled: Path) -> None:
    before = registry_state(crawled)
    assert len(before[1]) == 1 and len(before[2]) == 1  # the real scan opened and alerted kept.email
    assert [e[2] for e in before[3]] == ["opened", "alerted"]  # ... and chained both events
    for instant, fmt in (("2026-03-02T09:02:30Z", "table"), ("2026-03-02T09:03:30Z", "json"),
                         ("2030-01-01", "csv")):
        run_cli(crawled, "scan", "--as-of", instant, "--format", fmt)
    assert registry_state(crawled) == before  # byte-identical: no ledger change, no alert queued, no event


def test_scan_as_of_table_and_csv(crawled: Path) -> None:
    table = run_cli(crawled, "scan", "--as-of", "2026-03-02T09:03:30Z").stdout
    assert "read-only" in table and "db.s.export.email" in table and "db.s.stage.email" in table
    text = run_cli(crawled, "scan", "--as-of", "2026-03-02T09:03:30Z", "--format", "csv").stdout
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["terminal"], r["path"]) for r in rows] == [
        ("db.s.export.email", "db.s.customers.email → db.s.stage.email → db.s.export.email")]


def test_scan_table_limit_prints_the_most_severe_and_counts_the_rest(crawled: Path) -> None:
    """``--limit N``: the table lists N paths and says how many more and how to list them; json/csv list all."""
    instant = "2026-03-02T09:03:30Z"
    both = run_cli(crawled, "scan", "--as-of", "2026-03-02T09:02:30Z", "--limit", "1").stdout
    assert both.count("HIGH") == 1  # one row (the severity column)
    assert "1 more exposure paths not shown" in both and "--limit N, 0 for all" in both
    assert "scan --as-of 2026-03-02T09:02:30+00:00 --format csv" in " ".join(both.split())
    every = run_cli(crawled, "scan", "--as-of", "2026-03-02T09:02:30Z", "--limit", "0").stdout
    assert every.count("HIGH") == 2 and "not shown" not in every
    assert "not shown" not in run_cli(crawled, "scan", "--as-of", instant, "--limit", "1").stdout  # nothing left out
    rows = json.loads(run_cli(crawled, "scan", "--as-of", "2026-03-02T09:02:30Z", "--limit", "1",
                              "--format", "json").stdout)
    assert len(rows) == 2  # json is complete whatever the limit
    result = run_cli(crawled, "scan", "--as-of", instant, "--limit", "-1", check=False)
    assert result.returncode == 2 and "--limit" in result.stderr


def test_scan_as_of_rejects_a_bad_instant(crawled: Path) -> None:
    result = run_cli(crawled, "scan", "--as-of", "last tuesday", check=False)
    assert result.returncode == 2 and "--as-of" in result.stderr and "Traceback" not in result.stderr
    result = run_cli(crawled, "scan", "--as-of", "2026-03-02", "--format", "xml", check=False)
    assert result.returncode == 2 and "--format" in result.stderr


def test_findings_format(crawled: Path) -> None:
    rows = json.loads(run_cli(crawled, "findings", "--format", "json").stdout)
    assert [(r["status"], r["severity"], r["origin"], r["terminal"], r["level"], r["path"]) for r in rows] == [
        ("open", "HIGH", "db.s.customers.email", "db.s.kept.email", "column",
         ["db.s.customers.email", "db.s.kept.email"])]
    text = run_cli(crawled, "findings", "--format", "csv").stdout
    parsed = list(csv.DictReader(io.StringIO(text)))
    assert parsed[0]["terminal"] == "db.s.kept.email" and parsed[0]["path"].endswith("→ db.s.kept.email")
    assert "db.s.kept.email" in run_cli(crawled, "findings").stdout


# -- observations 6 and 7: the traces answer with the scan's walk ------------------------------------


def test_erasure_trace_finds_copies_made_through_a_dropped_intermediate(crawled: Path) -> None:
    """Observation 6: stage was dropped at 09:03, export (copied from it at 09:02) still holds the data."""
    out = run_cli(crawled, "trace", "downstream_of", "-p", "dataset=db.s.customers", "--as-of",
                  "2026-03-02T09:03:30Z", "--format", "json").stdout
    rows = json.loads(out)
    assert [(r["dataset"], r["hops"], [n["id"] for n in r["path"]]) for r in rows] == [
        ("db.s.export", 2, ["db.s.customers", "db.s.stage", "db.s.export"])]
    assert [e["query_id"] for e in rows[0]["edges"]] == ["q1", "q2"]  # stage <- customers, export <- stage
    later = json.loads(run_cli(crawled, "trace", "downstream_of", "-p", "dataset=db.s.customers", "--as-of",
                               "2026-03-02T09:05:30Z", "--format", "json").stdout)
    assert [(r["dataset"], r["hops"]) for r in later] == [("db.s.export", 1), ("db.s.kept", 1)]


def test_unmasked_columns_trace_as_of_a_past_instant(crawled: Path) -> None:
    """Observation 7: as of 09:03:30 the e-mail was held by export.email (copied through the dropped stage)."""
    for instant, expected in EXPECTED.items():
        out = run_cli(crawled, "trace", "unmasked_pii_columns", "-p", "origins=db.s.customers.email",
                      "--as-of", instant, "--format", "json").stdout
        rows = json.loads(out)
        assert sorted((r["terminal"], r["level"], [n["id"] for n in r["path"]]) for r in rows) == \
            expected, instant
    rows = json.loads(run_cli(crawled, "trace", "unmasked_pii_columns", "-p", "origins=db.s.customers.email",
                              "--as-of", "2026-03-02T09:03:30Z", "--format", "json").stdout)
    assert [(e["transform"], e["kind"], e["query_id"]) for e in rows[0]["edges"]] == [
        ("identity", "DIRECT", "q1"), ("identity", "DIRECT", "q2")]  # origin end first, as the path (README)


def test_observations_6_and_7_on_neo4j(neo4j_graph: Any, tmp_path: Path) -> None:
    """The same history on the Neo4j test server: the same as-of answers."""
    config = crawled_installation(tmp_path, write_history(tmp_path / "history.jsonl", ROWS, T0), REGISTRY,
                                  neo4j=neo4j_graph.options)
    instant = "2026-03-02T09:03:30Z"
    down = json.loads(run_cli(config, "trace", "downstream_of", "-p", "dataset=db.s.customers", "--as-of", instant,
                              "--format", "json").stdout)
    assert [(r["dataset"], r["hops"]) for r in down] == [("db.s.export", 2)]
    cols = json.loads(run_cli(config, "trace", "unmasked_pii_columns", "-p", "origins=db.s.customers.email",
                              "--as-of", instant, "--format", "json").stdout)
    scan = json.loads(run_cli(config, "scan", "--as-of", instant, "--format", "json").stdout)
    expected = EXPECTED[instant]
    assert [(r["terminal"], r["level"], [n["id"] for n in r["path"]]) for r in cols] == expected
    assert [(r["terminal"], r["level"], r["path"]) for r in scan] == expected
