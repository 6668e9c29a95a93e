"""An unquoted column added by a later ``ALTER TABLE`` onto an id a quoted column already holds does not
state its type over the other's (review s16 T4 a1, a false negative), through the installed CLI.

Snowflake stores an unquoted name upper-case: ``"Dob"`` and ``DOB`` are two columns, and ``ADD COLUMN
DOB VARCHAR`` succeeds on a table holding ``"Dob" DATE``; the lineage names both ``db.s.c.dob``. The
added column's VARCHAR was taken as the id's type, so the birth dates of ``"Dob"`` were taken as masked
by the tag's STRING policy. Where the tool cannot tell whether the id held another column (a table the
crawled history did not create), the added type is not known either (an over-report). A column dropped
before the add is gone with its type: the added column's type holds (no over-report).
"""

from __future__ import annotations

from pathlib import Path

from tests.review.history import Row, crawled, role_policy, scan_paths

REGISTRY = """assets:
  - {catalog_path: DB.S.PII.EMAIL, classification: restricted, regulatory_tags: [pii], steward: dpo}
  - {catalog_path: DB.S.PII.DOB, classification: restricted, regulatory_tags: [pii], steward: dpo}
"""


def test_an_unquoted_added_column_does_not_type_a_quoted_one_of_its_id(tmp_path: Path) -> None:
    rows: list[Row] = [
        ("09:00", "CREATE_TABLE", "create table db.s.pii (id int, email varchar, dob date)"),
        role_policy("09:01", "str_mask", "PII_ADMIN"),
        ("09:02", "ALTER_TAG", "alter tag pii set masking policy str_mask"),
        # "Dob" DATE stated by CREATE TABLE, then DOB VARCHAR added: two columns, one id
        ("09:03", "CREATE_TABLE", 'create table db.s.c ("Dob" date)'),
        ("09:03:05", "ALTER_TABLE_ADD_COLUMN", "alter table db.s.c add column DOB varchar"),
        ("09:03:10", "INSERT", 'insert into db.s.c ("Dob", DOB) select dob, email from db.s.pii'),
        # "Dob" DATE copied by a CTAS (typed from db.s.pii.dob), then "DOB" (the same as DOB) added
        ("09:03:20", "CREATE_TABLE_AS_SELECT", 'create table db.s.e as select dob as "Dob" from db.s.pii'),
        ("09:03:25", "ALTER_TABLE_ADD_COLUMN", 'alter table db.s.e add column "DOB" varchar'),
        # a table the history did not create: whether it holds a "Dob" is not known
        ("09:03:30", "ALTER_TABLE_ADD_COLUMN", "alter table db.s.old add column dob varchar"),
        ("09:03:35", "INSERT", "insert into db.s.old (dob) select dob from db.s.pii"),
        # controls: a column added to a table whose columns are known, and one dropped and added again
        ("09:03:40", "CREATE_TABLE", "create table db.s.k (id int)"),
        ("09:03:45", "ALTER_TABLE_ADD_COLUMN", "alter table db.s.k add column e varchar"),
        ("09:03:50", "INSERT", "insert into db.s.k (e) select email from db.s.pii"),
        ("09:04", "CREATE_TABLE", "create table db.s.d (id int, e date)"),
        ("09:04:05", "ALTER_TABLE", "alter table db.s.d drop column e"),
        ("09:04:10", "ALTER_TABLE_ADD_COLUMN", "alter table db.s.d add column e varchar"),
        ("09:04:15", "INSERT", "insert into db.s.d (e) select email from db.s.pii"),
        *[(f"09:05:0{n}", "ALTER_TABLE", f"alter table db.s.{t} set tag pii = 'x'") for n, t in enumerate(("c", "e", "old", "k", "d"))],
    ]
    found = {(p["origin"], p["terminal"]): p.get("note") or "" for p in scan_paths(crawled(tmp_path, rows, REGISTRY))}
    # before: db.s.c.dob and db.s.e.dob typed VARCHAR (the added column's), the birth dates taken as masked
    for terminal in ("db.s.c.dob", "db.s.e.dob", "db.s.old.dob"):
        assert ("db.s.pii.dob", terminal) in found, (terminal, sorted(found))
        assert "not known" in found[("db.s.pii.dob", terminal)], found[("db.s.pii.dob", terminal)]
    assert ("db.s.pii.email", "db.s.k.e") not in found, found
    assert ("db.s.pii.email", "db.s.d.e") not in found, found
