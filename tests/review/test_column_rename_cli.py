"""``ALTER TABLE t RENAME COLUMN email TO contact``: the values stay, under the new name.

A copy of ``t.contact`` made after the rename copies the e-mails; so does a copy of an origin
column renamed in place (``pii.email`` renamed ``mail``). The rename was read as an ALTER that
moves nothing, so both copies were missed (and ``SELECT *`` after it used the old name).
"""

from __future__ import annotations

from pathlib import Path

from tests.review.history import crawled, terminals

PII = "db.s.pii.email"


def test_renamed_column_keeps_its_values(tmp_path: Path) -> None:
    config = crawled(tmp_path, [
        ("09:00", "CREATE_TABLE", "create table db.s.pii (id int, email varchar)"),
        ("09:01", "CREATE_TABLE_AS_SELECT", "create table db.s.t as select id, email from db.s.pii"),
        ("09:02", "ALTER_TABLE", "alter table db.s.t rename column email to contact"),
        ("09:03", "CREATE_TABLE_AS_SELECT", "create table db.s.z as select contact from db.s.t"),
        ("09:04", "CREATE_TABLE_AS_SELECT", "create table db.s.z2 as select * from db.s.t"),
        ("09:05", "ALTER_TABLE", "alter table db.s.pii rename column email to mail"),
        ("09:06", "CREATE_TABLE_AS_SELECT", "create table db.s.z3 as select mail from db.s.pii"),
    ])
    found = terminals(config)
    assert {(PII, "db.s.t.contact"), (PII, "db.s.z.contact"), (PII, "db.s.z2.contact"), (PII, "db.s.z3.mail")} <= found, found
