"""A temporary table filled before its upstream column got a masking policy holds clear values.

``create temporary table tt as select email from pii`` at 09:01, then ``alter table pii modify
column email set masking policy mp`` at 09:02, then ``create table c as select email from tt``
at 09:03 by a role the policy masks: tt was filled in clear (no policy existed), so c holds
clear e-mails. Judged at the copy out of the temp (09:03, under the policy, masked role) it was
missed. The collapsed copy is judged from the instant its data entered the temp chain: the
column edge's ``first_seen`` is the earliest write into the temps it went through.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.review.history import crawled, findings, terminals

POLICY = ("create masking policy mp as (val string) returns string -> "
          "case when current_role() in ('ADMIN') then val else '***' end")
ROWS = [
    ("09:00", "CREATE_TABLE", "create table db.s.pii (id int, email varchar)"),
    ("09:00:30", "CREATE_MASKING_POLICY", POLICY),
    ("09:01", "CREATE_TABLE_AS_SELECT", "create temporary table tt as select email from db.s.pii"),
    # a second temp filled from the first: the chain's earliest write counts
    ("09:01:30", "CREATE_TABLE_AS_SELECT", "create temporary table tt2 as select email from tt"),
    ("09:02", "ALTER_TABLE", "alter table db.s.pii modify column email set masking policy mp"),
    ("09:03", "CREATE_TABLE_AS_SELECT", "create table db.s.c as select email from tt"),
    ("09:04", "CREATE_TABLE_AS_SELECT", "create table db.s.c2 as select email from tt2"),
    # filled after the policy by the same masked role: masked, not an exposure
    ("09:05", "CREATE_TABLE_AS_SELECT", "create temporary table tu as select email from db.s.pii"),
    ("09:06", "CREATE_TABLE_AS_SELECT", "create table db.s.c_masked as select email from tu"),
]


@pytest.mark.parametrize("batch_size", [1, 1000])
def test_temp_filled_before_the_policy(tmp_path: Path, batch_size: int) -> None:
    config = crawled(tmp_path, ROWS, batch_size=batch_size)
    assert terminals(config) == {("db.s.pii.email", "db.s.c.email"), ("db.s.pii.email", "db.s.c2.email")}
    notes = {f["terminal"]: str(f.get("note") or "") for f in findings(config)}
    assert "before its masking policy" in notes["db.s.c.email"], notes
