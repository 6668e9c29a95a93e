"""Honest completeness: what the crawl could not read is named where an answer may depend on it.

A statement quarantined before parsing (``too_large``, ``end_time_in_future``, an internal
error) keeps no text, so it cannot be matched to the datasets it names; it may have copied
the origin anywhere. The evidence pack's ``coverage.json`` lists "quarantined statements that
may touch those datasets": such a statement must be listed (touching unknown datasets), not
left out as if it touched none.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli_run import run_cli
from tests.review.history import crawled, terminals

PAD = " /* " + "x" * 300 + " */"


def test_evidence_lists_a_quarantined_statement_without_text(tmp_path: Path) -> None:
    config = crawled(tmp_path, [
        ("09:00", "CREATE_TABLE", "create table db.s.pii (id int, email varchar)"),
        ("09:01", "CREATE_TABLE_AS_SELECT", "create table db.s.mid as select id, email from db.s.pii" + PAD),
        ("09:02", "CREATE_TABLE_AS_SELECT", "create table db.s.final as select * from db.s.mid"),
    ], telemetry="max_statement_chars: 200")
    assert terminals(config) == set()  # the copy into db.s.mid was not read: the pack must say so
    run_cli(config, "evidence", "--as-of", "2026-05-05", "--out", str(tmp_path / "pack"))
    coverage = json.loads((tmp_path / "pack" / "coverage.json").read_text(encoding="utf-8"))
    listed = {row["query_id"]: row for row in coverage["quarantined"]}
    assert "q001" in listed, coverage
    assert listed["q001"]["reason_code"] == "too_large"


def test_scan_says_what_it_could_not_merge(tmp_path: Path) -> None:
    """The scan's answer (and the as-of answer) names the quarantined statements it could not see through."""
    config = crawled(tmp_path, [
        ("09:00", "CREATE_TABLE", "create table db.s.pii (id int, email varchar)"),
        ("09:01", "CREATE_TABLE_AS_SELECT", "create table db.s.mid as select id, email from db.s.pii" + PAD),
    ], telemetry="max_statement_chars: 200")
    for args in ((), ("--as-of", "2026-05-05")):
        out = run_cli(config, "scan", *args).stdout
        assert "0 exposure paths" in out
        assert "not seen: 1 quarantined rows or statements were not merged" in out, out


def test_result_scan_is_named_as_a_gap(tmp_path: Path) -> None:
    """``CREATE TABLE x AS SELECT * FROM TABLE(RESULT_SCAN('<query id>'))`` copies an earlier query's
    result (maybe the e-mails): when the crawl does not know that query (here one it never read; a
    known one is followed since review O2, tests/review/test_o2_result_scan_cli.py), its lineage is
    not followed, so the statement is quarantined (``unsupported``) and named by the scan and the
    evidence pack, not silently empty."""
    config = crawled(tmp_path, [
        ("09:00", "CREATE_TABLE", "create table db.s.pii (id int, email varchar)"),
        ("09:01", "SELECT", "select id, email from db.s.pii"),
        ("09:02", "CREATE_TABLE_AS_SELECT", "create table db.s.x as select * from "
                                            "table(result_scan('01b00000-0000-aaaa-0000-000000000001'))"),
    ])
    quarantined = json.loads(run_cli(config, "quarantine", "--format", "json").stdout)
    assert [(q["query_id"], q["reason_code"]) for q in quarantined] == [("q002", "unsupported")]
    assert "not seen: 1 quarantined" in run_cli(config, "scan").stdout
    run_cli(config, "evidence", "--as-of", "2026-05-05", "--out", str(tmp_path / "pack"))
    coverage = json.loads((tmp_path / "pack" / "coverage.json").read_text(encoding="utf-8"))
    assert "q002" in {row["query_id"] for row in coverage["quarantined"]}
