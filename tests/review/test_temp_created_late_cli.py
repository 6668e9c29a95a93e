"""A temporary table read by a statement that comes before its creation in the file.

In END_TIME order ``create temporary table tt as select email from pii`` (09:01) then
``create table c as select email from tt`` (09:05) copies the e-mails into ``c``. Read with the
CTAS of c first (a file out of END_TIME order), ``tt`` was not known as a temp yet and resolved
to a permanent ``db.s.tt``: c derived from a table that does not exist and the e-mails' path was
lost without a word. Now the session remembers which names its statements read and the crawl
counts and prints such statements (not followed: adding the temp's lineage at the reader's
position from memory made the graph depend on where crawls cut the history; strict xfail).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli_run import run_cli
from tests.review.history import install, terminals

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
    assert "not followed" in output, output


@pytest.mark.xfail(strict=True, reason="a temp read before its creation in file order: counted, not followed "
                   "(following it in memory made the graph depend on where crawls cut the history)")
@pytest.mark.parametrize("batch_size", [1, 1000])
def test_temp_read_before_its_creation_in_the_file_is_followed(tmp_path: Path, batch_size: int) -> None:
    config = install(tmp_path, ROWS, batch_size=batch_size)
    run_cli(config, "crawl")
    assert terminals(config) == {("db.s.pii.email", "db.s.c.email")}
