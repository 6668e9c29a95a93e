"""A masked column read into a temporary table holds what the role that read it saw.

Under a masking policy that shows ADMIN clear values, a temp table filled by ADMIN holds
clear e-mails (the temp has no policy), so a table copied out of it by ANALYST holds them
too: an exposure. Judged by the copying statement's role alone (ANALYST: masked), it was
missed. When the roles of the chain differ the copy counts as exposed (what each step saw
is not told apart: over-report, never under); a chain of one role keeps its judgement.
"""

from __future__ import annotations

from pathlib import Path

from tests.review.history import crawled, findings, terminals

POLICY = ("create masking policy mp as (val string) returns string -> "
          "case when current_role() in ('ADMIN') then val else '***' end")


def _as(role: str, session: str) -> dict[str, str]:
    return {"role_name": role, "session_id": session}


def test_temp_filled_by_a_clear_role_and_copied_by_a_masked_one(tmp_path: Path) -> None:
    rows = [
        ("09:00", "CREATE_TABLE", "create table db.s.pii (id int, email varchar)"),
        ("09:01", "CREATE_MASKING_POLICY", POLICY),
        ("09:02", "ALTER_TABLE", "alter table db.s.pii modify column email set masking policy mp"),
        ("09:03", "CREATE_TABLE_AS_SELECT", "create temporary table tt as select email from db.s.pii", _as("ADMIN", "10")),
        ("09:04", "CREATE_TABLE_AS_SELECT", "create table db.s.c_mixed as select email from tt", _as("ANALYST", "10")),
        # one role all along: ANALYST sees masked values, so neither copy holds the e-mail
        ("09:05", "CREATE_TABLE_AS_SELECT", "create temporary table tu as select email from db.s.pii", _as("ANALYST", "11")),
        ("09:06", "CREATE_TABLE_AS_SELECT", "create table db.s.c_masked as select email from tu", _as("ANALYST", "11")),
    ]
    for batch_size in (1, 1000):
        config = crawled(tmp_path / str(batch_size), rows, batch_size=batch_size)
        assert terminals(config) == {("db.s.pii.email", "db.s.c_mixed.email")}, batch_size
        notes = " ".join(str(f.get("note") or "") for f in findings(config))
        assert "unknown role" in notes, notes
