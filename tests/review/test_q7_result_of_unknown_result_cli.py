"""A copy of a query's result is said when that query read a result not known (review s15 Q7).

``q002`` reads the result of a ``CALL`` (a procedure's table, not known: quarantined); ``q003`` copies
``q002``'s result, which holds those values. It was bound to ``q002``'s remembered result (no dataset)
without a word; it is quarantined as the copy straight after the ``CALL`` is.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli_run import run_cli
from tests.review.history import PII_TABLE, Row, crawled

ROWS: list[Row] = [
    PII_TABLE,
    ("09:01", "CALL", "call db.s.export_contacts()"),
    ("09:02", "SELECT", "select * from table(result_scan(last_query_id()))"),
    ("09:03", "CREATE_TABLE_AS_SELECT", "create table db.s.out as select * from table(result_scan(last_query_id()))"),
]


def test_a_copy_of_a_result_of_a_result_not_known_is_said(tmp_path: Path) -> None:
    config = crawled(tmp_path, ROWS)
    quarantined = json.loads(run_cli(config, "quarantine", "--format", "json").stdout)
    assert sorted((q["query_id"], q["reason_code"]) for q in quarantined) == [
        ("q002", "unsupported"), ("q003", "unsupported")]
