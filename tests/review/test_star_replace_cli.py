"""Snowflake ``SELECT * REPLACE (expr AS col)``: the replaced column holds the expression.

``* REPLACE (SHA2(email) AS email)`` masks the e-mail (no exposure), and ``* REPLACE (email
AS name)`` puts the e-mail into ``name`` (an exposure there). Read as a plain ``*`` the first
was reported and the second missed.
"""

from __future__ import annotations

from pathlib import Path

from tests.review.history import crawled, terminals


def test_star_replace_column_holds_its_expression(tmp_path: Path) -> None:
    config = crawled(tmp_path, [
        ("09:00", "CREATE_TABLE", "create table db.s.pii (id int, email varchar, name varchar)"),
        ("09:01", "CREATE_TABLE_AS_SELECT",
         "create table db.s.rp as select * replace (sha2(email) as email, email as name) from db.s.pii"),
        ("09:02", "CREATE_TABLE_AS_SELECT",
         "create table db.s.rq as select p.* replace (upper(email) as email) from db.s.pii p"),
    ])
    assert terminals(config) == {("db.s.pii.email", "db.s.rp.name"), ("db.s.pii.email", "db.s.rq.email")}
