"""What the bounds on remembered reads forget is said, never resolved short (issue 13).

A session remembers the reads of the names it read (README "Late rows") so that a temp created by
a row read later, but ended earlier, still reaches the statements that read it. Those reads are
bounded: 4 per name, names whose latest read ended more than twice ``session_idle`` before the latest
row, and at most so many names per session and over all sessions. A reader forgotten by a bound
would have silently lost the temp's path (a false negative): the writing row is now quarantined,
saying that lineage through the temp may be missing, and the bound is kept in the crawl state, so
a history crawled in two pieces says the same as one crawl.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli_run import export_edges, run_cli
from tests.review.history import PII_TABLE, crawled_whole_and_in_pieces, install, terminals

FORGOTTEN = "no longer remembers every read of that name"

FIVE_READERS = [
    PII_TABLE,
    *[(f"09:1{n}", "CREATE_TABLE_AS_SELECT", f"create table db.s.c{n} as select email from tt") for n in range(1, 6)],
    # read after the five, ended before them: in END_TIME order all five copied the e-mails through tt
    ("09:01", "CREATE_TABLE_AS_SELECT", "create temporary table tt as select email from db.s.pii"),
]
"""Five statements read ``tt``; the latest 4 reads of a name are remembered, so the first reader is not."""

IDLE_HOURS = 1
EXPIRED = [
    PII_TABLE,
    ("09:05", "CREATE_TABLE_AS_SELECT", "create table db.s.c as select email from tt"),
    ("09:50", "CREATE_TABLE_AS_SELECT", "create table db.s.x1 as select email from db.s.pii"),
    ("10:40", "CREATE_TABLE_AS_SELECT", "create table db.s.x2 as select email from db.s.pii"),
    ("11:30", "CREATE_TABLE_AS_SELECT", "create table db.s.x3 as select email from db.s.pii"),
    # another session's row moves the latest END_TIME on: reads before 10:00 (2 x 1 h before 12:00) expire
    ("12:00", "CREATE_TABLE_AS_SELECT", "create table db.s.y as select email from db.s.pii", {"session_id": "8"}),
    # 3 hours out of END_TIME order (more than session_idle): the read of tt at 09:05 is forgotten
    ("09:01", "CREATE_TABLE_AS_SELECT", "create temporary table tt as select email from db.s.pii"),
]


def quarantined(config: Path) -> dict[str, str]:
    """Return ``{query id: reason}`` of ``quarantine --format json``."""
    return {row["query_id"]: row["reason"] for row in json.loads(run_cli(config, "quarantine", "--format", "json").stdout)}


def test_a_reader_past_the_latest_four_reads_of_a_name_is_said(tmp_path: Path) -> None:
    config = install(tmp_path, FIVE_READERS)
    run_cli(config, "crawl")
    found = terminals(config)
    # the four readers remembered get the temp's content at their positions
    assert {("db.s.pii.email", f"db.s.c{n}.email") for n in range(2, 6)} <= found, found
    # the first reader's copy is not followed: the writing row says so instead of nothing
    assert ("db.s.pii.email", "db.s.c1.email") not in found
    reasons = quarantined(config)
    assert FORGOTTEN in " ".join(reasons.get("q006", "").split()), reasons


def test_reads_expired_after_twice_the_idle_time_are_said(tmp_path: Path) -> None:
    config = install(tmp_path, EXPIRED, telemetry=f"session_idle_hours: {IDLE_HOURS}")
    output = run_cli(config, "crawl").stdout
    assert "1 rows came more than telemetry.session_idle_hours" in " ".join(output.split()), output  # counted as late
    reasons = quarantined(config)
    assert FORGOTTEN in " ".join(reasons.get("q006", "").split()), reasons


@pytest.mark.parametrize("rows, telemetry", [(FIVE_READERS, ""), (EXPIRED, f"session_idle_hours: {IDLE_HOURS}")],
                         ids=["four per name", "expired"])
def test_what_a_bound_forgot_is_kept_across_crawls(tmp_path: Path, rows: list, telemetry: str) -> None:
    """The late row comes in a second crawl (the file grew): the crawl state kept what was forgotten."""
    whole, pieces = crawled_whole_and_in_pieces(tmp_path, rows, telemetry=telemetry)
    assert quarantined(pieces).keys() == quarantined(whole).keys() == {f"q{len(rows) - 1:03d}"}
    assert export_edges(pieces, "--level", "column") == export_edges(whole, "--level", "column")
