"""A masking policy set in a column definition masks the column.

Snowflake CREATE TABLE / CREATE VIEW: ``email VARCHAR WITH MASKING POLICY mp`` in the column list
assigns the policy at creation (as ``ALTER TABLE … MODIFY COLUMN email SET MASKING POLICY mp``
would). Only the ALTER form was read, so a copy created masked was reported as an exposure.
"""

from __future__ import annotations

from pathlib import Path

from tests.review.history import crawled, terminals

POLICY = ("create masking policy mp as (val string) returns string -> "
          "case when current_role() in ('ADMIN') then val else '***' end")


def test_policy_in_a_column_definition_masks_the_column(tmp_path: Path) -> None:
    rows = [
        ("09:00", "CREATE_TABLE", "create table db.s.pii (id int, email varchar)"),
        ("09:01", "CREATE_MASKING_POLICY", POLICY),
        ("09:02", "CREATE_TABLE_AS_SELECT",
         "create table db.s.ctas (email varchar with masking policy mp, id int) as select email, id from db.s.pii"),
        ("09:03", "CREATE_TABLE", "create or replace table db.s.empty (id int, email varchar masking policy mp)"),
        ("09:04", "INSERT", "insert into db.s.empty select id, email from db.s.pii"),
        ("09:05", "CREATE_VIEW", "create view db.s.v (e with masking policy mp) as select email from db.s.pii"),
        ("09:06", "CREATE_TABLE_AS_SELECT", "create table db.s.clear (email varchar, id int) as select email, id from db.s.pii"),
    ]
    config = crawled(tmp_path, rows)
    assert terminals(config) == {("db.s.pii.email", "db.s.clear.email")}
