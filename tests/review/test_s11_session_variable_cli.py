"""A session variable set from a query carries what it read (review s11 T4, false negatives).

Snowflake "SET": ``SET <var> = <expr>`` initializes a session variable with the result of an
expression, which may be a query (the documentation's example: ``SET cust_last_name = (SELECT
lname FROM customers WHERE customer_id = 100)``); a later statement of the session uses the
value as ``$var``. The crawl skipped ``SET`` rows (a session-control type) and read ``$var`` as
a constant: the e-mail inserted through the variable had no lineage (no exposure), and the
principal who read the table into the variable was not an ``access`` reader.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli_run import run_cli
from tests.review.history import crawled, terminals

PII = "db.s.pii.email"


def test_value_read_into_a_variable_flows_where_the_variable_is_used(tmp_path: Path) -> None:
    config = crawled(tmp_path, [
        ("09:00", "CREATE_TABLE", "create table db.s.pii (id int, email varchar, name varchar)"),
        ("09:01", "SET", "set cust = (select email from db.s.pii where id = 100)", {"user_name": "ALICE"}),
        ("09:02", "CREATE_TABLE", "create table db.s.notes (id int, contact varchar, run varchar)"),
        ("09:03", "INSERT", "insert into db.s.notes (id, contact) values (1, $cust)"),
        ("09:04", "SET", "set (run_id, n) = ('r1', 3)"),  # constants: nothing flows
        ("09:05", "INSERT", "insert into db.s.notes (id, contact, run) select $n, 'x', $run_id from db.s.pii "
                            "where email = $cust"),  # a variable in a condition chooses rows: no value flows
        ("09:05:30", "MERGE", "merge into db.s.merged m using (select 1 as id, $cust as c) s on m.id = s.id "
                              "when not matched then insert (id, contact) values (s.id, s.c)"),
        ("09:06", "SET", "set other = (select name from db.s.pii where id = 100)", {"session_id": "8"}),
        ("09:07", "INSERT", "insert into db.s.notes (id, run) values (2, $cust)", {"session_id": "8"}),
    ])
    # session 8 never set $cust from the table: its insert carries nothing of the e-mails
    assert terminals(config) == {(PII, "db.s.notes.contact"), (PII, "db.s.merged.contact")}
    readers = json.loads(run_cli(config, "access", "--origin", PII, "--format", "json").stdout)
    assert "ALICE" in {row["principal"] for row in readers}
