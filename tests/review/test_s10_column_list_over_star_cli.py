"""A column list over ``SELECT *`` of a table whose columns are not known.

``create table c (a, b) as select * from pii`` (or a view's column list, ``INSERT INTO t (a, b)
SELECT *``, a derived table's ``AS s (a, b)``) names the star's columns by position. When
``pii``'s columns are not known (created before the crawled history, loaded by a tool), the
star stands for any number of columns: ``b`` may hold the e-mails as well as ``a``. The names
after the first got no lineage at all, so a copy of ``c.b`` was not reported.
"""

from __future__ import annotations

from pathlib import Path

from tests.review.history import crawled, terminals

PII = "db.s.pii.email"


def test_every_name_over_an_unknown_star_may_hold_its_columns(tmp_path: Path) -> None:
    # db.s.pii is never created in the history: its columns are unknown to the crawl
    config = crawled(tmp_path, [
        ("09:01", "CREATE_TABLE_AS_SELECT", "create table db.s.c (a, b) as select * from db.s.pii"),
        ("09:02", "CREATE_TABLE_AS_SELECT", "create table db.s.z as select b from db.s.c"),
        ("09:03", "CREATE_VIEW", "create view db.s.v (k, contact) as select * from db.s.pii"),
        ("09:04", "CREATE_TABLE_AS_SELECT", "create table db.s.w as select contact from db.s.v"),
        ("09:05", "CREATE_TABLE", "create table db.s.t (a int, b varchar)"),
        ("09:06", "INSERT", "insert into db.s.t (a, b) select * from db.s.pii"),
        ("09:07", "CREATE_TABLE_AS_SELECT", "create table db.s.u as select b from db.s.t"),
    ])
    found = {terminal for _, terminal in terminals(config)}
    assert {"db.s.z.b", "db.s.w.contact", "db.s.u.b"} <= found
