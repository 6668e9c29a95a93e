"""Tags set where a table is created mask its columns under tag-based masking.

Snowflake CREATE TABLE / CREATE VIEW accept ``[WITH] TAG (t = 'v', …)`` on a column
definition and on the object; with ``ALTER TAG t SET MASKING POLICY p`` the tagged column
(or every column of the tagged table) is masked ("Tag-based masking policies"). Tables made
from code (dbt, Terraform) are tagged this way rather than by a later ``ALTER``. Only the
``ALTER … SET TAG`` form was read: the masked copies were reported as exposures (false
positives on every tagged table).
"""

from __future__ import annotations

from pathlib import Path

from tests.review.history import crawled, terminals

PII = "db.s.pii.email"


def test_tags_in_create_statements_mask_like_alter_set_tag(tmp_path: Path) -> None:
    config = crawled(tmp_path, [
        ("09:00", "CREATE_TABLE", "create table db.s.pii (id int, email varchar)"),
        ("09:01", "CREATE_MASKING_POLICY", "create masking policy mp as (val string) returns string -> "
         "case when current_role() in ('ADMIN') then val else '***' end"),
        ("09:02", "ALTER_TAG", "alter tag gov.tags.pii_tag set masking policy mp"),
        ("09:03", "CREATE_TABLE",
         "create table db.s.c (id int, email varchar with tag (gov.tags.pii_tag = 'email') comment 'x')"),
        ("09:04", "CREATE_TABLE", "create table db.s.d (id int, email varchar) with tag (gov.tags.pii_tag = 'all')"),
        ("09:05", "CREATE_TABLE", "create table db.s.e (id int, email varchar)"),
        ("09:06", "INSERT", "insert into db.s.c select id, email from db.s.pii"),
        ("09:07", "INSERT", "insert into db.s.d select id, email from db.s.pii"),
        ("09:08", "INSERT", "insert into db.s.e select id, email from db.s.pii"),
        ("09:09", "CREATE_TABLE_AS_SELECT",
         "create table db.s.f with tag (gov.tags.pii_tag = 'all') as select id, email from db.s.pii"),
    ])
    assert terminals(config) == {(PII, "db.s.e.email")}
