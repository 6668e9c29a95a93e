"""Every answer says what it could not see: Time Travel reads at a point not known are counted.

A read at a point the crawl cannot know (a timestamp without a zone, an expression, a query id
not seen) is read as any content the table held before the statement (the widest window, an
over-report by design). ``scan`` said nothing of it: a path through such a read looked as
certain as any other. Now ``scan`` and ``scan --as-of`` count them under ``not seen`` (lineage
intervals valid by the instant), an evidence pack lists the count in ``coverage.json`` and its
notes, ``egress`` and ``drift`` (and ``boundaries``) print the same line, and ``access`` says
which rows were counted from such reads.

History: ``cp`` holds the e-mails from 09:01 (q001) until it is replaced without them at 09:05
(q002).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.cli_run import run_cli
from tests.review.history import crawled
from tests.review.test_s10_time_travel_cli import BASE, PII  # cp holds e-mails from 09:01 to 09:05

ROWS = [
    *BASE,
    ("09:10", "CREATE_TABLE_AS_SELECT",
     "create table db.s.u1 as select * from db.s.cp at (timestamp => '2026-05-04 09:02:00'::timestamp_ltz)"),
    ("09:11", "CREATE_TABLE_AS_SELECT",
     "create table db.s.u2 as select * from db.s.cp at (timestamp => dateadd(minute, -5, current_timestamp()))"),
    ("09:12", "CREATE_TABLE_AS_SELECT",  # known: not counted
     "create table db.s.k as select * from db.s.cp at (timestamp => '2026-05-04T09:02:00Z')"),
    ("09:20", "SELECT", "select email from db.s.cp before (statement => '01b2-never-seen')",
     {"user_name": "READER", "session_id": "9"}),
]


def _unknown(text: str) -> int | None:
    """The count of the ``not seen: N Time Travel reads at an unknown point`` line, None when absent."""
    found = re.search(r"not seen: (\d+) Time Travel reads at an unknown point", text)
    return int(found.group(1)) if found else None


def test_scan_counts_time_travel_reads_at_an_unknown_point(tmp_path: Path) -> None:
    config = crawled(tmp_path, ROWS)
    assert _unknown(run_cli(config, "scan").stdout) == 2
    assert _unknown(run_cli(config, "scan", "--as-of", "2026-05-04T09:10:30Z").stdout) == 1
    assert _unknown(run_cli(config, "scan", "--as-of", "2026-05-04T09:09:00Z").stdout) is None
    pack = tmp_path / "pack"
    run_cli(config, "evidence", "--as-of", "2026-05-04T10:00:00Z", "--out", str(pack))
    assert json.loads((pack / "coverage.json").read_text(encoding="utf-8"))["unknown_time_travel_points"] == 2
    assert any(_unknown(n) == 2 for n in json.loads((pack / "exposure.json").read_text(encoding="utf-8"))["notes"])
    assert _unknown(run_cli(config, "egress").stdout) == 2  # the other answers that walk the graph say it too
    assert _unknown(run_cli(config, "drift", "--since", "2026-05-04T00:00:00Z").stdout) == 2
    access = run_cli(config, "access", "--origin", PII).stdout
    assert re.search(r"not seen: 2 rows counted from Time Travel reads at an unknown point", access), access
