"""``access`` names the reader of a SELECT that did not parse, and says what it could not see.

A SELECT sqlglot cannot parse was quarantined with no read recorded (token recovery covered only
writes), so "who read db.s.pii.email" left its principal out without a word, while ``scan`` at
least prints "not seen". Now the tables it names after FROM / JOIN are read as ``D.*`` (columns
unknown: every column counts, as for any statement not fully parsed), and ``access`` prints
the quarantine count like ``scan``.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli_run import run_cli
from tests.review.history import crawled


def _as(user: str) -> dict[str, str]:
    return {"user_name": user, "role_name": "ANALYST", "session_id": user}


def test_reader_of_an_unparsable_select_is_listed(tmp_path: Path) -> None:
    rows = [
        ("09:00", "CREATE_TABLE", "create table db.s.pii (id int, email varchar)"),
        ("09:01", "SELECT", "select email from db.s.pii where ((", _as("BROKEN")),
        ("09:02", "SELECT", "with c as (select email from db.s.pii) select * from c where ((", _as("BROKEN_CTE")),
        ("09:03", "SELECT", "select email from db.s.pii", _as("PLAIN")),
        ("09:04", "SELECT", "select 1 from ((", _as("NOTHING")),
    ]
    config = crawled(tmp_path, rows)
    found = json.loads(run_cli(config, "access", "--origin", "db.s.pii.email", "--format", "json").stdout)
    assert {(r["principal"], r["read"]) for r in found} == {
        ("BROKEN", "db.s.pii.email"), ("BROKEN_CTE", "db.s.pii.email"), ("PLAIN", "db.s.pii.email")}
    table = run_cli(config, "access", "--origin", "db.s.pii.email").stdout
    assert "not seen: 3 quarantined" in table, table
