"""``u.*`` of a table function whose columns are not declared carries what the function read.

``select p.id, u.* from db.s.pii p, table(db.s.split_contact(p.email)) u`` copies whatever the
UDTF returns for each e-mail (Snowflake "Tabular SQL UDFs (UDTFs)": its output columns are
computed from its arguments). Without a column list on the alias the function's columns were
taken to be none at all, so ``u.*`` expanded to nothing: the statement had column lineage (``id``)
and the hop was "known", so the e-mail's copy was silently missed. Now ``u.*`` is an unknown
column set deriving from the function's inputs (``t.*``, like a table read without schema).
"""

from __future__ import annotations

from pathlib import Path

from tests.review.history import crawled, terminals


def test_udtf_star_carries_its_inputs(tmp_path: Path) -> None:
    rows = [
        ("09:00", "CREATE_TABLE", "create table db.s.pii (id int, email varchar)"),
        ("09:01", "CREATE_TABLE_AS_SELECT",
         "create table db.s.parts as select p.id, u.* from db.s.pii p, table(db.s.split_contact(p.email)) u"),
        ("09:02", "CREATE_TABLE_AS_SELECT", "create table db.s.parts_copy as select * from db.s.parts"),
        # declared columns: as before, each derives from the inputs
        ("09:03", "CREATE_TABLE_AS_SELECT",
         "create table db.s.named as select p.id, u.local from db.s.pii p, table(db.s.split_contact(p.email)) u (local, domain)"),
        # a function of the id only carries no e-mail
        ("09:04", "CREATE_TABLE_AS_SELECT",
         "create table db.s.ids as select p.email_ok, u.* from (select id, 1 as email_ok from db.s.pii) p, table(db.s.f(p.id)) u"),
    ]
    config = crawled(tmp_path, rows)
    assert terminals(config) == {("db.s.pii.email", "db.s.parts.*"), ("db.s.pii.email", "db.s.parts_copy.*"),
                                 ("db.s.pii.email", "db.s.named.local")}
