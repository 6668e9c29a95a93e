"""``MATCH_RECOGNIZE`` measures carry the columns they are computed from.

Snowflake ("MATCH_RECOGNIZE"): the result holds the ``MEASURES`` (``LAST(email) AS last_email``)
with the partition columns (``ONE ROW PER MATCH``) or every input column (``ALL ROWS PER
MATCH``). Read as the plain input, ``last_email`` was an unknown column ``db.s.pii.last_email``:
the statement had column lineage, so the e-mail it copies was silently not followed.
"""

from __future__ import annotations

from pathlib import Path

from tests.review.history import crawled, terminals


def test_match_recognize_measures_are_followed(tmp_path: Path) -> None:
    rows = [
        ("09:00", "CREATE_TABLE", "create table db.s.pii (id int, email varchar)"),
        ("09:01", "CREATE_TABLE_AS_SELECT",
         "create table db.s.sessions as select id, last_email from db.s.pii match_recognize("
         "partition by id order by id measures last(email) as last_email one row per match "
         "pattern (a b*) define b as b.id > prev(b.id))"),
        ("09:02", "CREATE_TABLE_AS_SELECT",
         "create table db.s.all_rows as select m.email from db.s.pii match_recognize("
         "partition by id order by id measures count(*) as n all rows per match pattern (a) define a as true) m"),
    ]
    config = crawled(tmp_path, rows)
    assert terminals(config) == {("db.s.pii.email", "db.s.sessions.last_email"),
                                 ("db.s.pii.email", "db.s.all_rows.email")}
