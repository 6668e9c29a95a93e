"""Two columns added by one ALTER TABLE that fold to one id with two types have no known type
(review s14 R3, the ADD COLUMN form), through the installed CLI.

``"Dob"`` and ``DOB`` are two Snowflake columns, one id in the lineage (unquoted names fold). The
last type stated won, so a DATE column of birth dates took the VARCHAR of the other and a tag's
STRING policy was taken to mask it: a false negative. A ``CREATE TABLE`` list was fixed in 4031e41.
"""

from __future__ import annotations

from pathlib import Path

from tests.review.history import Row, crawled, terminals

REGISTRY = """assets:
  - {catalog_path: DB.S.PII.EMAIL, classification: restricted, regulatory_tags: [pii], steward: dpo}
  - {catalog_path: DB.S.PII.DOB, classification: restricted, regulatory_tags: [pii], steward: dpo}
"""


def test_two_added_columns_folding_to_one_id_have_no_known_type(tmp_path: Path) -> None:
    rows: list[Row] = [
        ("09:00", "CREATE_TABLE", "create table db.s.pii (id int, email varchar, dob date)"),
        ("09:01", "CREATE_MASKING_POLICY", "create masking policy str_mask as (val string) returns string -> "
                                           "case when current_role() in ('PII_ADMIN') then val else '***' end"),
        ("09:02", "ALTER_TAG", "alter tag pii set masking policy str_mask"),
        ("09:03", "CREATE_TABLE", "create table db.s.q (id int)"),
        ("09:03:10", "ALTER_TABLE_ADD_COLUMN", 'alter table db.s.q add column "Dob" date, DOB varchar'),
        ("09:03:30", "INSERT", 'insert into db.s.q ("Dob", DOB) select dob, email from db.s.pii'),
        ("09:05", "ALTER_TABLE", "alter table db.s.q set tag pii = 'x'"),
    ]
    assert ("db.s.pii.dob", "db.s.q.dob") in terminals(crawled(tmp_path, rows, REGISTRY))
