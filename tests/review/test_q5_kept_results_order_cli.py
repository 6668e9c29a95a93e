"""Results kept by query id are forgotten oldest first, in one crawl as after a resume (review s15 Q5).

``RESULT_SCAN('<query id>')`` reads a result among the latest 1,000 kept by id. The crawl forgot the
first *kept* (the order results left their session's last 10 rows), a resumed crawl the oldest by
END_TIME (the order it restores them in): a result that ended early but left its session late was
kept by one crawl and forgotten by two, so a copy of it was a finding in one and "not seen" in the
other. Both now forget by END_TIME: the same answer at any cut.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli_run import run_cli
from tests.review.history import PII_TABLE, Row, history_lines, install, terminals

A_QUERY = "01b00000-0000-0000-0000-00000000000a"


def _at(seconds: int) -> str:
    return f"{9 + seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def _rows() -> tuple[list[Row], list[Row]]:
    """(the rows of the first crawl, the rows after them)."""
    first: list[Row] = [PII_TABLE,
                        ("09:00:00", "SELECT", "select id, email from db.s.pii", {"session_id": "7", "query_id": A_QUERY})]
    # session 8: 1,011 queries whose results leave its last 10 rows one by one: 1,001 kept by id
    first += [(_at(60 + i), "SELECT", "select id, email from db.s.pii", {"session_id": "8"}) for i in range(1011)]
    # session 7 goes on late: its 09:00 result leaves its last 10 rows, kept after session 8's
    first += [(_at(1200 + i), "SELECT", "select 1", {"session_id": "7"}) for i in range(11)]
    later: list[Row] = [(_at(1300 + i), "SELECT", "select id, email from db.s.pii", {"session_id": "8"})
                        for i in range(11)]
    later.append((_at(1400), "CREATE_TABLE_AS_SELECT",
                  f"create table db.s.out as select * from table(result_scan('{A_QUERY}'))", {"session_id": "9"}))
    return first, later


def _answer(config: Path) -> tuple[set[tuple[str, str]], list[tuple[str, str]]]:
    quarantined = json.loads(run_cli(config, "quarantine", "--format", "json").stdout)
    return terminals(config), sorted((q["query_id"], q["reason_code"]) for q in quarantined)


def test_one_crawl_and_a_resumed_crawl_keep_the_same_results(tmp_path: Path) -> None:
    first, later = _rows()
    one = install(tmp_path / "one", [*first, *later])
    run_cli(one, "crawl")
    two = install(tmp_path / "two", first)
    run_cli(two, "crawl")
    (two.parent / "history.jsonl").write_text("\n".join(history_lines([*first, *later])) + "\n", encoding="utf-8")
    run_cli(two, "crawl")
    assert _answer(one) == _answer(two)
    # the 09:00 result is the oldest of more than 1,000: forgotten, the copy said, not silent
    paths, quarantined = _answer(one)
    assert ("db.s.pii.email", "db.s.out.email") not in paths
    assert [code for _, code in quarantined] == ["unsupported"]
