"""A row read after a later-ended row of its session does not become the session's last query (review s15 Q1).

``q003`` ended at 09:01 but is read after ``q002`` (09:02): a file not in END_TIME order, or two
exports concatenated. It took the newest place, so ``RESULT_SCAN(LAST_QUERY_ID())`` at 09:03 copied
its result (``db.s.other.note``) silently, while the session's last query was ``q002``, the e-mails.
A late row's place is not known: a copy counting back over it is quarantined and said (``not seen``),
in one crawl and when the late row arrives with a second crawl.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli_run import run_cli
from tests.review.history import PII_TABLE, Row, crawled, history_lines, install

ROWS: list[Row] = [
    PII_TABLE,
    ("09:00:30", "CREATE_TABLE", "create table db.s.other (id int, note varchar)"),
    ("09:02", "SELECT", "select id, email from db.s.pii"),
    ("09:01", "SELECT", "select id, note as email from db.s.other"),
    ("09:03", "CREATE_TABLE_AS_SELECT", "create table db.s.out as select * from table(result_scan(last_query_id()))"),
]


@pytest.mark.parametrize("crawls", [1, 2])
def test_a_copy_over_a_late_row_is_said_not_bound_to_it(tmp_path: Path, crawls: int) -> None:
    if crawls == 1:
        config = crawled(tmp_path, ROWS)
    else:
        config = install(tmp_path, ROWS[:3])
        run_cli(config, "crawl")
        (tmp_path / "history.jsonl").write_text("\n".join(history_lines(ROWS)) + "\n", encoding="utf-8")
        run_cli(config, "crawl")
    edges = [json.loads(line) for line in run_cli(config, "export", "edges", "--level", "column").stdout.splitlines()
             if line.strip()]
    assert not [e for e in edges if e["downstream"].startswith("db.s.out.")], edges  # not the late row's result
    quarantined = json.loads(run_cli(config, "quarantine", "--format", "json").stdout)
    assert [(q["query_id"], q["reason_code"]) for q in quarantined] == [("q004", "unsupported")]
