"""A replay (``crawl --reset-watermark``) follows the RESULT_SCAN copies one crawl follows (review s15 Q3).

The replay did not parse the ``SELECT`` rows whose reads an earlier crawl stored, so their places were
taken as results not known and the copies read again after them were quarantined ("not seen", for good),
though one crawl of the same history follows them: any cut of the history resolves alike.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli_run import run_cli
from tests.review.history import PII_TABLE, Row, crawled

COPY = "create table db.s.{} as select * from table(result_scan(last_query_id()))"
ROWS: list[Row] = [
    PII_TABLE,
    *[(f"09:0{n}", "SELECT", "select current_date() as d") for n in range(1, 10)],
    ("09:20", "SELECT", "select id, email from db.s.pii"),
    ("09:21", "CREATE_TABLE_AS_SELECT", COPY.format("out")),
    ("09:22", "SELECT", "select id, email from db.s.pii"),
    ("09:23", "CREATE_TABLE_AS_SELECT", COPY.format("out2")),
]


def test_a_replay_follows_the_copies_one_crawl_follows(tmp_path: Path) -> None:
    config = crawled(tmp_path, ROWS)
    run_cli(config, "crawl", "--reset-watermark", "--yes")
    findings = json.loads(run_cli(config, "scan", "--format", "json").stdout)
    assert sorted({(f["origin"], f["terminal"]) for f in findings}) == [
        ("db.s.pii.email", "db.s.out.email"), ("db.s.pii.email", "db.s.out2.email")]
    assert json.loads(run_cli(config, "quarantine", "--format", "json").stdout) == []
    assert "not seen" not in run_cli(config, "scan").stdout
