"""A statement that reads a table both at a Time Travel point and as it is copies both contents.

``insert into out select * from cp minus select * from cp at (timestamp => yesterday)`` (the usual
"what is new since" query) reads ``cp`` twice: as it was at the point and as it is at the statement.
The walk read an edge made by one statement with a point as a copy of that instant alone
(``exposure/walk.py: single_read_of_the_past``): when ``cp`` got the e-mails after the point, ``out``
was not reported (a false negative). Now such a statement counts as two reads of ``cp`` (the edge's
``observations``), and the walk reads the hull from the point to the statement.

History: ``cp`` holds the e-mails from 09:01 (q002) until it is replaced without them at 09:05.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.cli_run import export_edges
from tests.review.history import Row, crawled, terminals

PII = "db.s.pii.email"

HISTORY: list[Row] = [
    ("09:00", "CREATE_TABLE", "create table db.s.pii (id int, email varchar)"),
    ("09:00", "CREATE_TABLE", "create table db.s.out (id int, email varchar)"),
    ("09:00", "CREATE_TABLE", "create table db.s.old (id int, email varchar)"),
    ("09:01", "CREATE_TABLE_AS_SELECT", "create table db.s.cp as select id, email from db.s.pii"),
    # new rows since a point when cp did not exist yet: read now (e-mails) and at the point (nothing)
    ("09:04", "INSERT", "insert into db.s.out select * from db.s.cp "
                        "minus select * from db.s.cp at (timestamp => '2026-05-04T08:00:00Z')"),
    ("09:05", "CREATE_TABLE_AS_SELECT", "create or replace table db.s.cp as select id from db.s.pii"),
    # a point read alone still reads that instant only: cp held no e-mail at 09:06
    ("09:10", "INSERT", "insert into db.s.old select * from db.s.cp at (timestamp => '2026-05-04T09:06:00Z')"),
]


def _datasets(config: Path, *args: str) -> set[str]:
    return {t if t.count(".") == 2 else t.rsplit(".", 1)[0] for o, t in terminals(config, *args) if o == PII}


def _edge(config: Path, downstream: str, upstream: str) -> dict[str, Any]:
    edges = [json.loads(line) for line in export_edges(config).splitlines()]
    return next(e for e in edges if e["downstream"] == downstream and e["upstream"] == upstream)


def test_a_table_read_at_a_point_and_as_it_is_copies_what_it_holds_now(tmp_path: Path, graph_config: dict[str, Any]) -> None:
    config = crawled(tmp_path, HISTORY, graph=graph_config)
    assert _datasets(config) == {"db.s.out"}
    assert (PII, "db.s.out.email") in terminals(config)  # column level too
    assert _datasets(config, "--as-of", "2026-05-04T09:04:30Z") == {"db.s.cp", "db.s.out"}
    assert _edge(config, "db.s.out", "db.s.cp")["observations"] == 2  # two reads of cp, one statement
    assert _edge(config, "db.s.old", "db.s.cp")["observations"] == 1


def test_the_same_answer_one_row_at_a_time(tmp_path: Path) -> None:
    config = crawled(tmp_path, HISTORY, batch_size=1)
    assert _datasets(config) == {"db.s.out"}
