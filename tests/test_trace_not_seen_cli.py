"""``trace`` says what the lineage it read could not see, as ``scan`` does.

A trace over lineage with quarantined rows (statements that did not parse, or parsed only to
their tables) answered as if the graph were complete: ``downstream_of`` listed the copies it
knew and nothing said that a copy made by an unparsed statement may be missing. Now the table
ends with the ``not seen: N quarantined rows ...`` line (JSON and CSV: on stderr).
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli_run import run_cli
from tests.review.history import crawled

ROWS = [
    ("09:00", "CREATE_TABLE", "create table db.s.pii (id int, email varchar)"),
    ("09:01", "CREATE_TABLE_AS_SELECT", "create table db.s.c as select id, email from db.s.pii"),
    ("09:02", "CREATE_TABLE_AS_SELECT", "create table db.s.broken as select from from where"),
]
LINE = "not seen: 1 quarantined rows or statements were not merged"


def test_trace_says_what_it_could_not_see(tmp_path: Path) -> None:
    config = crawled(tmp_path, ROWS)
    table = run_cli(config, "trace", "downstream_of", "-p", "dataset=db.s.pii")
    assert "db.s.c" in table.stdout and LINE in table.stdout
    as_json = run_cli(config, "trace", "downstream_of", "-p", "dataset=db.s.pii", "--format", "json")
    assert any(row.get("dataset") == "db.s.c" or "db.s.c" in json.dumps(row) for row in json.loads(as_json.stdout))
    assert LINE in as_json.stderr and LINE not in as_json.stdout


def test_a_complete_history_prints_no_line(tmp_path: Path) -> None:
    config = crawled(tmp_path, ROWS[:2])
    assert "not seen" not in run_cli(config, "trace", "downstream_of", "-p", "dataset=db.s.pii").stdout
