"""Snowflake ``UNION [ALL] BY NAME`` matches the columns of its queries by name, not position.

``select id, email from t2 union all by name select email, id from pii`` puts the e-mails
of ``pii`` into the result's ``email`` column (Snowflake "Set operators": the queries may
even select different columns; the missing ones are NULL). Matched by position, the scan
reported ``u.id`` as holding them and missed ``u.email``, so a copy of ``u.email`` was
never reported: a false negative and a false positive at once.
"""

from __future__ import annotations

from pathlib import Path

from tests.review.history import crawled, terminals

PII = "db.s.pii.email"


def test_union_by_name_matches_columns_by_name(tmp_path: Path) -> None:
    config = crawled(tmp_path, [
        ("09:00", "CREATE_TABLE", "create table db.s.pii (id int, email varchar, name varchar)"),
        ("09:00:30", "CREATE_TABLE", "create table db.s.t2 (id int, email varchar)"),
        ("09:01", "CREATE_TABLE_AS_SELECT",
         "create table db.s.u as select id, email from db.s.t2 union all by name select email, id from db.s.pii"),
        ("09:02", "CREATE_TABLE_AS_SELECT", "create table db.s.z as select email from db.s.u"),
        # a column only the second query has is a new column of the result
        ("09:03", "CREATE_TABLE_AS_SELECT",
         "create table db.s.w as select id from db.s.t2 union by name select name, email as contact from db.s.pii"),
    ])
    assert terminals(config) == {(PII, "db.s.u.email"), (PII, "db.s.z.email"), (PII, "db.s.w.contact")}
