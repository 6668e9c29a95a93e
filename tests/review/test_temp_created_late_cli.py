"""A temporary table read by a statement that comes before its creation in the file.

In END_TIME order ``create temporary table tt as select email from pii`` (09:01) then
``create table c as select email from tt`` (09:05) copies the e-mails into ``c``. Read with the
CTAS of c first (a file out of END_TIME order), ``tt`` was not known as a temp yet and resolved
to a permanent ``db.s.tt``: c derived from a table that does not exist and the e-mails' path was
lost without a word. Now the session remembers which names its statements read, in the crawl
state (``crawl_reads``), and the temp's creation adds its lineage at the reader's position; the
crawl counts and prints such statements. Kept in the crawl state, the reads do not depend on where
crawls cut the history (a crawl per row below).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli_run import export_edges, run_cli
from tests.review.history import history_lines, install, terminals

ROWS = [
    ("09:00", "CREATE_TABLE", "create table db.s.pii (id int, email varchar)"),
    ("09:05", "CREATE_TABLE_AS_SELECT", "create table db.s.c as select email from tt"),
    ("09:01", "CREATE_TABLE_AS_SELECT", "create temporary table tt as select email from db.s.pii"),
    # a reader ended before the creation read something else by that name: not the temp
    ("09:00:30", "CREATE_TABLE_AS_SELECT", "create table db.s.d as select email from tu"),
    ("09:02", "CREATE_TABLE_AS_SELECT", "create temporary table tu as select email from db.s.pii"),
]


@pytest.mark.parametrize("batch_size", [1, 1000])
def test_temp_read_before_its_creation_in_the_file_is_said(tmp_path: Path, batch_size: int) -> None:
    config = install(tmp_path, ROWS, batch_size=batch_size)
    output = run_cli(config, "crawl").stdout
    assert "1 statements read a temporary object that a row read after them created earlier" in output, output
    assert "lineage through the temp is added at their positions" in " ".join(output.split()), output


@pytest.mark.parametrize("batch_size", [1, 1000])
def test_temp_read_before_its_creation_in_the_file_is_followed(tmp_path: Path, batch_size: int) -> None:
    config = install(tmp_path, ROWS, batch_size=batch_size)
    run_cli(config, "crawl")
    assert terminals(config) == {("db.s.pii.email", "db.s.c.email")}


def test_a_reader_and_the_temp_in_two_crawls_give_the_graph_of_one_crawl(tmp_path: Path) -> None:
    """The reader is crawled, then the crawl stops; the temp's creation comes in the next crawl (the
    file grew): the reads remembered in the crawl state make the same graph as one crawl."""
    whole = install(tmp_path / "whole", ROWS)
    run_cli(whole, "crawl")
    pieces = install(tmp_path / "pieces", ROWS[:2])
    run_cli(pieces, "crawl")
    history = tmp_path / "pieces" / "history.jsonl"
    lines = history_lines(ROWS)
    with history.open("a", encoding="utf-8") as handle:
        handle.write("\n".join(lines[2:]) + "\n")
    assert "1 statements read a temporary object" in run_cli(pieces, "crawl").stdout
    assert terminals(pieces) == terminals(whole) == {("db.s.pii.email", "db.s.c.email")}
    assert export_edges(pieces, "--level", "column") == export_edges(whole, "--level", "column")
    assert export_edges(pieces) == export_edges(whole)
