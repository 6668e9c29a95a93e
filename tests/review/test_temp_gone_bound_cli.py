"""What the bound on names gone forgets is said, never resolved short (issue 13).

A session remembers what a temporary object's name held when it stopped naming it (a DROP, a
RENAME, a replace: README "Late rows"), so that a row of the session read later, but ended before
that, reads the temp as it was. Those names gone are bounded: the latest 100 per session. A row read
so late that it ended before a name gone the session no longer remembers would read the name as if
the temp had never been (a false negative, silent before): the row is now quarantined, saying that
lineage through a temporary object may be missing, and the bound is kept in the crawl state, so a
history crawled in two pieces says the same as one crawl.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli_run import export_edges, run_cli
from tests.review.history import PII_TABLE, crawled_whole_and_in_pieces, install, terminals

FORGOTTEN = "no longer remembers what a temporary object"

KEPT = 100
"""Names gone a session remembers (``temp_late.GONE_KEPT``)."""


def _others(count: int) -> list[tuple[str, str, str]]:
    """Rows from 10:00 that create and drop ``count`` other temps: each drop is a name gone."""
    rows = []
    for n in range(count):
        at = 10 * 3600 + 2 * n
        rows.append((f"{at // 3600:02d}:{at // 60 % 60:02d}:{at % 60:02d}", "CREATE_TABLE_AS_SELECT",
                     f"create temporary table u{n} as select id from db.s.pii"))
        rows.append((f"{at // 3600:02d}:{at // 60 % 60:02d}:{at % 60 + 1:02d}", "DROP", f"drop table u{n}"))
    return rows


def history(others: int) -> list:
    """``tt`` filled with e-mails and dropped at 09:03, ``others`` names gone after it, then a row
    that ended at 09:02 (before the drop) and read ``tt``, read last: in END_TIME order it copied the
    e-mails into ``db.s.c``."""
    return [
        PII_TABLE,
        ("09:01", "CREATE_TABLE_AS_SELECT", "create temporary table tt as select email from db.s.pii"),
        ("09:03", "DROP", "drop table tt"),
        *_others(others),
        ("09:02", "CREATE_TABLE_AS_SELECT", "create table db.s.c as select email from tt"),
    ]


def quarantined(config: Path) -> dict[str, str]:
    """Return ``{query id: reason}`` of ``quarantine --format json``."""
    return {row["query_id"]: row["reason"] for row in json.loads(run_cli(config, "quarantine", "--format", "json").stdout)}


def test_a_name_gone_still_remembered_resolves_the_late_row(tmp_path: Path) -> None:
    rows = history(KEPT - 1)
    config = install(tmp_path, rows)
    run_cli(config, "crawl")
    assert ("db.s.pii.email", "db.s.c.email") in terminals(config)
    assert f"q{len(rows) - 1:03d}" not in quarantined(config)


def test_a_late_row_past_the_names_gone_kept_is_said(tmp_path: Path) -> None:
    rows = history(KEPT + 1)
    config = install(tmp_path, rows)
    run_cli(config, "crawl")
    assert ("db.s.pii.email", "db.s.c.email") not in terminals(config)  # tt's content is forgotten
    reasons = quarantined(config)
    assert FORGOTTEN in " ".join(reasons.get(f"q{len(rows) - 1:03d}", "").split()), reasons


def test_what_the_names_gone_bound_forgot_is_kept_across_crawls(tmp_path: Path) -> None:
    """The late row comes in a second crawl (the file grew): the crawl state kept what was forgotten."""
    rows = history(KEPT + 1)
    whole, pieces = crawled_whole_and_in_pieces(tmp_path, rows)
    assert quarantined(pieces).keys() == quarantined(whole).keys() == {f"q{len(rows) - 1:03d}"}
    assert export_edges(pieces, "--level", "column") == export_edges(whole, "--level", "column")
