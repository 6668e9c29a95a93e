"""A renamed table's copy continues only a copy of the table the rename came from (review s15 T6, an FN).

``db.s.b`` (made outside the history: its column type is not known) is filled from ``pii.email`` and
renamed to ``db.s.b2`` at 09:04, the second another session's ``create or replace table db.s.a``
ended ``a.c <- pii.email`` (a VARCHAR copy). The moved interval was taken as a continuation of *a*'s
copy (same upstream, same column name, ended that instant) and typed VARCHAR: the tag's STRING policy
was taken to mask ``b2.c``, whose type is not known (it may be VARIANT).
"""

from __future__ import annotations

from pathlib import Path

from tests.review.history import EMAIL_PII, Row, crawled, terminals

REGISTRY = EMAIL_PII
ROWS: list[Row] = [
    ("09:00", "CREATE_TABLE", "create table db.s.pii (id int, email varchar)"),
    ("09:01", "CREATE_MASKING_POLICY", "create masking policy str_mask as (val string) returns string -> "
                                       "case when current_role() in ('PII_ADMIN') then val else '***' end"),
    ("09:01:01", "ALTER_TAG", "alter tag pii set masking policy str_mask"),
    ("09:03", "CREATE_TABLE_AS_SELECT", "create table db.s.a as select email as c from db.s.pii"),
    ("09:03:10", "INSERT", "insert into db.s.b (c) select email from db.s.pii",
     {"session_id": "99", "role_name": "LOADER"}),
    ("09:04", "CREATE_TABLE_AS_SELECT", "create or replace table db.s.a as select id as c from db.s.pii"),
    ("09:04", "RENAME_TABLE", "alter table db.s.b rename to db.s.b2", {"session_id": "99", "role_name": "LOADER"}),
    ("09:05", "ALTER_TABLE", "alter table db.s.b2 set tag pii = 'x'"),
]


def test_a_rename_is_not_taken_as_a_move_of_another_tables_copy(tmp_path: Path) -> None:
    config = crawled(tmp_path, ROWS, REGISTRY)
    assert ("db.s.pii.email", "db.s.b2.c") in terminals(config)
