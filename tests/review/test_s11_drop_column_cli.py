"""``ALTER TABLE t DROP [COLUMN] c`` ends ``t.c`` (review s11 T1, a false positive).

Snowflake "ALTER TABLE": ``DROP [ COLUMN ] [ IF EXISTS ] <col_name> [ , ... ]`` removes the
column and its data. Read as an ALTER that moves nothing, a copy whose e-mail column was
dropped stayed reported for ever, and a ``SELECT *`` after the drop was taken to copy it.
"""

from __future__ import annotations

from pathlib import Path

from tests.review.history import crawled, terminals

PII = "db.s.pii.email"


def test_dropped_column_is_no_longer_an_exposure(tmp_path: Path) -> None:
    config = crawled(tmp_path, [
        ("09:00", "CREATE_TABLE", "create table db.s.pii (id int, email varchar, name varchar)"),
        ("09:01", "CREATE_TABLE_AS_SELECT", "create table db.s.c as select id, email, name from db.s.pii"),
        ("09:02", "ALTER_TABLE_DROP_COLUMN", "alter table db.s.c drop column email"),
        ("09:03", "CREATE_TABLE_AS_SELECT", "create table db.s.z as select * from db.s.c"),
        ("09:04", "CREATE_TABLE_AS_SELECT", "create table db.s.d as select id, email from db.s.pii"),
        ("09:05", "ALTER", "alter table db.s.d drop if exists email"),  # COLUMN is optional
        ("09:06", "CREATE_TABLE_AS_SELECT", "create table db.s.kept as select email, name from db.s.pii"),
        ("09:07", "ALTER", "alter table db.s.kept drop column name"),  # another column: the e-mails stay
    ])
    assert terminals(config) == {(PII, "db.s.kept.email")}
    # as of before the drop, the copy held the e-mails (time-respecting)
    assert (PII, "db.s.c.email") in terminals(config, "--as-of", "2026-05-04T09:01:30Z")
