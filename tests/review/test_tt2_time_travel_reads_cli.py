"""Who read sensitive data: a Time Travel read counts for the content it read at its point.

``select email from cp at (timestamp => T)`` at 09:20 read ``cp``'s content at ``T``. When
``cp`` held e-mails at ``T`` and was replaced without them at 09:05, the reader read e-mails;
``access`` judged the read at its END_TIME (09:20, when ``cp`` held none) and did not list
the reader, whether the reads came from the parse or from the row's ACCESS_HISTORY fields
(which name the object, not the point). Now the read facts keep the point
(``access_reads.content_from``, access/aggregate.py) and ``access`` counts the content read.

History: ``cp`` holds the e-mails from 09:01 (q001) until it is replaced without them at 09:05
(q002).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.cli_run import run_cli
from tests.review.history import crawled
from tests.review.test_s10_time_travel_cli import BASE, PII  # cp holds e-mails from 09:01 to 09:05

ACCESS_HISTORY = {  # what ACCESS_HISTORY records for a read of cp.email: the object, not the point
    "direct_objects_accessed": json.dumps([{"objectDomain": "Table", "objectId": 1, "objectName": "DB.S.CP",
                                            "columns": [{"columnId": 2, "columnName": "EMAIL"}]}]),
    "base_objects_accessed": "[]",
}


def _reader(user: str, session: str, **more: Any) -> dict[str, Any]:
    return {"user_name": user, "session_id": session, **more}


def test_a_read_at_a_point_is_a_read_of_the_content_then(tmp_path: Path) -> None:
    config = crawled(tmp_path, [
        *BASE,
        ("09:20", "SELECT", "select email from db.s.cp at (timestamp => '2026-05-04T09:02:00Z')", _reader("PARSED", "9")),
        ("09:21", "SELECT", "select email from db.s.cp before (statement => 'q002')",
         _reader("RECORDED", "10", **ACCESS_HISTORY)),
        ("09:22", "SELECT", "select email from db.s.cp", _reader("NOW", "11")),
        ("09:23", "SELECT", "select email from db.s.cp at (timestamp => '2026-05-04T09:06:00Z')", _reader("LATER", "12")),
        # a point not known (no zone): any earlier content counts (over-report)
        ("09:24", "SELECT", "select email from db.s.cp at (timestamp => '2026-05-04 09:02:00'::timestamp_ltz)",
         _reader("UNKNOWN", "13", **ACCESS_HISTORY)),
        # a text the parser cannot read whole that mentions a point: read by ACCESS_HISTORY, at a point not known
        ("09:24", "SELECT", "select email from db.s.cp at (timestamp => '2026-05-04T09:02:00Z') where (((",
         _reader("BROKEN", "15", **ACCESS_HISTORY)),
        # the read side of a write at a point counts too
        ("09:25", "CREATE_TABLE_AS_SELECT", "create table db.s.d as select email from db.s.cp at (offset => -1260)",
         _reader("WRITER", "14")),
    ], telemetry="access_history: true")
    found = json.loads(run_cli(config, "access", "--origin", PII, "--format", "json").stdout)
    readers = {(r["principal"], r["read"]) for r in found}
    assert {p for p, read in readers if read == "db.s.cp.email"} == {"PARSED", "RECORDED", "UNKNOWN", "BROKEN", "WRITER"}
    row = next(r for r in found if r["principal"] == "PARSED")
    assert row["first_read"] == "2026-05-04T09:20:00+00:00"  # when it was read, not the point
    assert "Time Travel" in row["note"]
    mine = json.loads(run_cli(config, "access", "--principal", "RECORDED", "--format", "json").stdout)
    assert {r["read"] for r in mine} == {"db.s.cp.email"}
