"""``CREATE TABLE t AS SELECT ... WHERE 1 = 0`` (or ``LIMIT 0``) copies a structure, no value (review s11 T13).

The usual way to make an empty table shaped like another: the query returns no row whatever the
table holds, so ``t`` holds nothing of it. Read as a copy, every column of ``t`` was an exposure of
the e-mails (a false positive on each structural copy); a later load decides what ``t`` holds.
"""

from __future__ import annotations

from pathlib import Path

from tests.review.history import crawled, terminals

PII = "db.s.pii.email"


def test_structure_only_ctas_holds_nothing_until_loaded(tmp_path: Path) -> None:
    config = crawled(tmp_path, [
        ("09:00", "CREATE_TABLE", "create table db.s.pii (id int, email varchar, name varchar)"),
        ("09:01", "CREATE_TABLE_AS_SELECT", "create table db.s.empty1 as select * from db.s.pii where 1 = 0"),
        ("09:02", "CREATE_TABLE_AS_SELECT", "create table db.s.empty2 as select id, email from db.s.pii limit 0"),
        ("09:03", "CREATE_TABLE_AS_SELECT", "create table db.s.loaded as select id, email from db.s.pii where false"),
        ("09:04", "INSERT", "insert into db.s.loaded select id, email from db.s.pii"),
        # not constant: kept (an OR with a column test may return rows)
        ("09:05", "CREATE_TABLE_AS_SELECT", "create table db.s.some as select id, email from db.s.pii "
                                            "where 1 = 0 or email like '%@corp.com'"),
    ])
    assert terminals(config) == {(PII, "db.s.loaded.email"), (PII, "db.s.some.email")}
