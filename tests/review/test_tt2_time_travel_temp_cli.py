"""A Time Travel point read into a session temporary table carries through the copy out of it.

``create temporary table tmp as select * from cp at (timestamp => T); create table out as
select * from tmp`` copies ``cp``'s content at ``T`` into ``out``. The crawl collapses the
temp (``out <- tmp <- cp`` becomes ``out <- cp`` with ``via: [tmp]``); the collapsed edge
lost the point and read ``cp``'s current content: when ``cp`` held e-mails at ``T`` and was
replaced without them since, ``out`` was not reported (a false negative). Now the temp keeps
the points of what it was filled from (``parsing/temp_tables.py``) and the collapsed dataset
and column edges have their ``first_seen`` at the point, in one crawl or two.

History: ``cp`` holds the e-mails from 09:01 (q001) until it is replaced without them at 09:05
(q002).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.cli_run import export_edges, run_cli
from tests.review.history import Row, crawled, history_lines, install, terminals
from tests.review.test_s10_time_travel_cli import BASE, PII  # cp holds e-mails from 09:01 to 09:05

THROUGH_TEMPS: list[Row] = [
    *BASE,
    ("09:10", "CREATE_TABLE_AS_SELECT",
     "create temporary table db.s.tmp as select * from db.s.cp at (timestamp => '2026-05-04T09:02:00Z')"),
    ("09:10", "CREATE_TABLE_AS_SELECT",
     "create temporary table db.s.tmp2 as select * from db.s.cp before (statement => 'q002')"),
    # a point not known (no zone): any earlier content, through the temp too
    ("09:10", "CREATE_TABLE_AS_SELECT",
     "create temporary table db.s.tmp3 as select * from db.s.cp at (timestamp => '2026-05-04 09:02:00'::timestamp_ltz)"),
    # a point after the replace: no e-mail then, none through the temp
    ("09:10", "CREATE_TABLE_AS_SELECT",
     "create temporary table db.s.tmp4 as select * from db.s.cp at (timestamp => '2026-05-04T09:06:00Z')"),
    ("09:11", "CREATE_TABLE_AS_SELECT", "create table db.s.out as select * from db.s.tmp"),
    ("09:11", "CREATE_TABLE", "create table db.s.out2 (id int, email varchar)"),
    ("09:12", "INSERT", "insert into db.s.out2 select * from db.s.tmp2"),
    ("09:12", "CREATE_TABLE_AS_SELECT", "create table db.s.out3 as select * from db.s.tmp3"),
    ("09:12", "CREATE_TABLE_AS_SELECT", "create table db.s.out4 as select * from db.s.tmp4"),
]


def _datasets(config: Path, *args: str) -> set[str]:
    """Datasets reported for the e-mails (a column terminal counts for its table)."""
    return {t if t.count(".") == 2 else t.rsplit(".", 1)[0] for o, t in terminals(config, *args) if o == PII}


def _edges_into(config: Path, downstream: str) -> dict[str, dict[str, Any]]:
    """``{upstream: edge}`` of the exported dataset edges into ``downstream``."""
    out = {}
    for line in export_edges(config).splitlines():
        edge = json.loads(line)
        if edge["downstream"] == downstream:
            out[edge["upstream"]] = edge
    return out


def test_a_point_read_into_a_temp_is_what_the_copy_out_of_it_holds(tmp_path: Path, graph_config: dict[str, Any]) -> None:
    config = crawled(tmp_path, THROUGH_TEMPS, graph=graph_config)
    assert _datasets(config) == {"db.s.out", "db.s.out2", "db.s.out3"}
    assert {t for o, t in terminals(config) if o == PII} >= {"db.s.out.email", "db.s.out2.email"}  # column level
    edges = _edges_into(config, "db.s.out")
    assert set(edges) == {"db.s.cp"} and edges["db.s.cp"]["via"] == ["db.s.tmp"]  # collapsed, as before
    assert _datasets(config, "--as-of", "2026-05-04T09:11:30Z") == {"db.s.out"}


def test_the_temp_keeps_its_points_across_two_crawls(tmp_path: Path) -> None:
    """The temp is written in the first crawl and copied out of in the second (crawl state)."""
    config = install(tmp_path, THROUGH_TEMPS[:7])
    run_cli(config, "crawl")
    (tmp_path / "history.jsonl").write_text("\n".join(history_lines(THROUGH_TEMPS)) + "\n", encoding="utf-8")
    run_cli(config, "crawl")
    assert _datasets(config) == {"db.s.out", "db.s.out2", "db.s.out3"}


def test_a_table_restored_through_a_temp_holds_what_it_held_then(tmp_path: Path) -> None:
    """The usual undo through a temp: ``create temporary table tmp as select * from cp before (...)``, then
    ``create or replace table cp as select * from tmp``: cp holds the e-mails again, and a later
    ``select *`` of it copies them (cp's columns before the restore are no longer its own)."""
    config = crawled(tmp_path, [
        *BASE,
        ("09:10", "CREATE_TABLE_AS_SELECT",
         "create temporary table db.s.tmp as select * from db.s.cp before (statement => 'q002')"),
        ("09:11", "CREATE_TABLE_AS_SELECT", "create or replace table db.s.cp as select * from db.s.tmp"),
        ("09:20", "CREATE_TABLE_AS_SELECT", "create table db.s.later as select * from db.s.cp"),
    ])
    assert {t for o, t in terminals(config) if o == PII} == {"db.s.cp.email", "db.s.later.email"}
    assert terminals(config, "--as-of", "2026-05-04T09:08:00Z") == set()  # between the replace and the undo
