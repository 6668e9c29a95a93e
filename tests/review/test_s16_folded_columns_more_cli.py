"""Two columns folding to one id have no known type when they come from two items of a CTAS or from
an ``ADD COLUMN`` of a quoted mixed-case name (review s15 T4), through the installed CLI.

``"Dob"`` and ``DOB`` are two Snowflake columns and one id in the lineage (unquoted names fold). A
CTAS casting to both (``dob::date AS "Dob", email::varchar AS dob``) stated the last type; an
``ADD COLUMN "Dob" VARCHAR`` to a table with ``DOB DATE`` stated VARCHAR over DATE: the DATE column
of birth dates was taken as masked by a tag's STRING policy, a false negative.
"""

from __future__ import annotations

from pathlib import Path

from tests.review.history import Row, crawled, terminals

REGISTRY = """assets:
  - {catalog_path: DB.S.PII.EMAIL, classification: restricted, regulatory_tags: [pii], steward: dpo}
  - {catalog_path: DB.S.PII.DOB, classification: restricted, regulatory_tags: [pii], steward: dpo}
"""


def test_columns_folding_to_one_id_from_a_ctas_or_a_later_add_have_no_known_type(tmp_path: Path) -> None:
    rows: list[Row] = [
        ("09:00", "CREATE_TABLE", "create table db.s.pii (id int, email varchar, dob date)"),
        ("09:01", "CREATE_MASKING_POLICY", "create masking policy str_mask as (val string) returns string -> "
                                           "case when current_role() in ('PII_ADMIN') then val else '***' end"),
        ("09:02", "ALTER_TAG", "alter tag pii set masking policy str_mask"),
        # a4_cast_clash: two casts
        ("09:03", "CREATE_TABLE_AS_SELECT", 'create table db.s.a as select dob::date as "Dob", email::varchar as dob '
                                            "from db.s.pii"),
        # a cast stated VARCHAR for one spelling, a bare DATE copy under the other
        ("09:03:05", "CREATE_TABLE_AS_SELECT", 'create table db.s.b as select email::varchar as "Dob", dob as DOB '
                                               "from db.s.pii"),
        # ADD COLUMN "Dob" VARCHAR to a table holding DOB DATE
        ("09:03:10", "CREATE_TABLE", "create table db.s.c (DOB date)"),
        ("09:03:15", "ALTER_TABLE_ADD_COLUMN", 'alter table db.s.c add column "Dob" varchar'),
        ("09:03:20", "INSERT", 'insert into db.s.c (DOB, "Dob") select dob, email from db.s.pii'),
        # control: a VARCHAR column holding e-mails, masked by str_mask
        ("09:03:30", "CREATE_TABLE_AS_SELECT", "create table db.s.k as select email::varchar as e from db.s.pii"),
        ("09:05", "ALTER_TABLE", "alter table db.s.a set tag pii = 'x'"),
        ("09:05:05", "ALTER_TABLE", "alter table db.s.b set tag pii = 'x'"),
        ("09:05:10", "ALTER_TABLE", "alter table db.s.c set tag pii = 'x'"),
        ("09:05:15", "ALTER_TABLE", "alter table db.s.k set tag pii = 'x'"),
    ]
    found = terminals(crawled(tmp_path, rows, REGISTRY))
    # before: typed VARCHAR (the last type stated), and the birth dates taken as masked by str_mask
    missing = sorted(t for t in ("db.s.a.dob", "db.s.b.dob", "db.s.c.dob") if ("db.s.pii.dob", t) not in found)
    assert missing == []
    assert ("db.s.pii.email", "db.s.k.e") not in found
