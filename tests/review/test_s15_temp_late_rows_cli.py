"""Rows read out of END_TIME order through a session's temporary tables (review s14 R11b, R11c).

b) A reader of a temp's *old* name that ended before the temp was renamed (or dropped, or replaced)
   but is read after it (a file out of END_TIME order, or a later crawl) resolved the name as a
   permanent table: ``db.s.pii.email → db.s.out0.email`` was lost. A session now keeps the names its
   temps stopped having, with what they held and when, and a row that ended before resolves against
   the temp as it was.
c) A write into a temp (``insert into tmp select … ssn …``) that ended before a reader of the temp
   already processed was added to the temp only for later readers: ``pii.ssn → out.email`` was lost.
   Reads of temps are now remembered like reads of permanent names (crawl state ``crawl_reads``), so
   the late write is added at the reader's position, through a chain of temps and across a rename
   onto a permanent name.

One crawl, two crawls (the late row appended to the file) and a replay (``--reset-watermark``) give
the same answer.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli_run import export_edges, run_cli
from tests.review.history import history_lines, install, terminals

PII = ("09:00", "CREATE_TABLE", "create table db.s.pii (id int, email varchar, ssn number)")
PII_COLUMNS = ("assets:\n"
               "  - {catalog_path: DB.S.PII.EMAIL, classification: restricted, regulatory_tags: [pii], steward: dpo}\n"
               "  - {catalog_path: DB.S.PII.SSN, classification: restricted, regulatory_tags: [pii], steward: dpo}\n")
TEMP = ("09:01", "CREATE_TABLE_AS_SELECT", "create temporary table tmp as select id, email from db.s.pii")

CASES = {
    # b) the reader of the old name ended between the temp's creation and its rename
    "reader_before_rename": ([PII, TEMP, ("09:02", "RENAME_TABLE", "alter table tmp rename to tmp_b")],
                             [("09:01:30", "CREATE_TABLE_AS_SELECT", "create table db.s.out0 as select id, email from tmp")],
                             ("db.s.pii.email", "db.s.out0.email")),
    # b) ... before its DROP
    "reader_before_drop": ([PII, TEMP, ("09:04", "DROP", "drop table tmp")],
                           [("09:03", "CREATE_TABLE_AS_SELECT", "create table db.s.out0 as select id, email from tmp")],
                           ("db.s.pii.email", "db.s.out0.email")),
    # b) ... before it was replaced by a temp of other content
    "reader_before_replace": ([PII, TEMP, ("09:02", "CREATE_TABLE_AS_SELECT",
                                           "create or replace temporary table tmp as select id, id as email from db.s.pii")],
                              [("09:01:30", "CREATE_TABLE_AS_SELECT", "create table db.s.out0 as select id, email from tmp")],
                              ("db.s.pii.email", "db.s.out0.email")),
    # c) a write into the temp that ended before a reader already processed
    "insert_before_reader": ([PII, TEMP, ("09:03", "CREATE_TABLE_AS_SELECT", "create table db.s.out as select id, email from tmp")],
                             [("09:02:30", "INSERT", "insert into tmp select id, ssn from db.s.pii")],
                             ("db.s.pii.ssn", "db.s.out.email")),
    # c) ... read through a second temp
    "insert_before_chain": ([PII, TEMP,
                             ("09:03", "CREATE_TABLE_AS_SELECT", "create temporary table t2 as select id, email from tmp"),
                             ("09:04", "CREATE_TABLE_AS_SELECT", "create table db.s.out as select id, email from t2")],
                            [("09:02:30", "INSERT", "insert into tmp select id, ssn from db.s.pii")],
                            ("db.s.pii.ssn", "db.s.out.email")),
    # b + c) a write into the old name that ended before the rename onto a permanent name
    "insert_before_rename": ([PII, TEMP, ("09:02", "RENAME_TABLE", "alter table tmp rename to db.s.stage"),
                              ("09:03", "CREATE_TABLE_AS_SELECT", "create table db.s.out as select id, email from db.s.stage",
                               {"session_id": "8", "user_name": "ANALYST"})],
                             [("09:01:30", "INSERT", "insert into tmp (id, email) select id, ssn from db.s.pii")],
                             ("db.s.pii.ssn", "db.s.out.email")),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_late_row_through_a_temp_keeps_its_path(tmp_path: Path, case: str) -> None:
    """One crawl committing every row (the crawl state is stored and read back between rows)."""
    first, late, expected = CASES[case]
    config = install(tmp_path, [*first, *late], PII_COLUMNS, batch_size=1)
    run_cli(config, "crawl")
    assert expected in terminals(config), terminals(config)


@pytest.mark.parametrize("case", sorted(CASES))
def test_one_crawl_two_crawls_and_a_replay_agree(tmp_path: Path, case: str) -> None:
    first, late, expected = CASES[case]
    whole = install(tmp_path / "whole", [*first, *late], PII_COLUMNS)
    run_cli(whole, "crawl")
    pieces = install(tmp_path / "pieces", first, PII_COLUMNS)
    run_cli(pieces, "crawl")
    with (tmp_path / "pieces" / "history.jsonl").open("a", encoding="utf-8") as handle:
        handle.write("\n".join(history_lines([*first, *late])[len(first):]) + "\n")
    run_cli(pieces, "crawl")
    assert expected in terminals(pieces)
    assert terminals(pieces) == terminals(whole)
    assert export_edges(pieces, "--level", "column") == export_edges(whole, "--level", "column")
    before = export_edges(whole, "--level", "column")
    run_cli(whole, "crawl", "--reset-watermark", "--yes")
    assert export_edges(whole, "--level", "column") == before
    assert expected in terminals(whole)
