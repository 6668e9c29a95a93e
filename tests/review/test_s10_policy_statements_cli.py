"""Masking-policy statements the crawl did not read, each hiding a copy of clear values.

* ``ALTER DYNAMIC TABLE dt MODIFY COLUMN c UNSET MASKING POLICY`` (and the ``ICEBERG``,
  ``EXTERNAL``, ``HYBRID`` forms): dynamic-table columns take masking policies like a
  table's (Snowflake CREATE/ALTER DYNAMIC TABLE). Only ``ALTER TABLE|VIEW`` was read, so a
  policy set in the dynamic table's column definition stayed on after its ``UNSET``: the
  exposed column was taken to be masked.
* ``ALTER MASKING POLICY p RENAME TO q`` (Snowflake "ALTER MASKING POLICY"): the columns keep
  the policy, whose later ``SET BODY`` names ``q``. The crawl kept judging copies by ``p``'s
  old body, so a copy by a role the new body shows clear values to was taken as masked.
"""

from __future__ import annotations

from pathlib import Path

from tests.review.history import crawled, terminals

PII = "db.s.pii.email"
POLICY = ("create masking policy mp as (val string) returns string -> "
          "case when current_role() in ('ADMIN') then val else '***' end")


def test_unset_on_a_dynamic_table_column_ends_its_policy(tmp_path: Path) -> None:
    config = crawled(tmp_path, [
        ("09:00", "CREATE_TABLE", "create table db.s.pii (id int, email varchar)"),
        ("09:01", "CREATE_MASKING_POLICY", POLICY),
        ("09:02", "CREATE_DYNAMIC_TABLE",
         "create dynamic table db.s.dt (id, email with masking policy mp) target_lag = '1 hour' warehouse = wh "
         "as select id, email from db.s.pii"),
        ("09:03", "CREATE_TABLE_AS_SELECT", "create table db.s.kept as select id, email from db.s.pii"),
    ])
    assert terminals(config) == {(PII, "db.s.kept.email")}  # dt.email masked by its own policy
    config = crawled(tmp_path / "unset", [
        ("09:00", "CREATE_TABLE", "create table db.s.pii (id int, email varchar)"),
        ("09:01", "CREATE_MASKING_POLICY", POLICY),
        ("09:02", "CREATE_DYNAMIC_TABLE",
         "create dynamic table db.s.dt (id, email with masking policy mp) target_lag = '1 hour' warehouse = wh "
         "as select id, email from db.s.pii"),
        ("09:04", "ALTER", "alter dynamic table db.s.dt modify column email unset masking policy"),
    ])
    assert terminals(config) == {(PII, "db.s.dt.email")}


def test_a_renamed_policy_is_judged_by_its_new_body(tmp_path: Path) -> None:
    config = crawled(tmp_path, [
        ("09:00", "CREATE_TABLE", "create table db.s.pii (id int, email varchar)"),
        ("09:01", "CREATE_MASKING_POLICY", POLICY),
        ("09:02", "ALTER_TABLE_MODIFY_COLUMN", "alter table db.s.pii modify column email set masking policy mp"),
        ("09:03", "CREATE_TABLE_AS_SELECT", "create table db.s.before as select id, email from db.s.pii",
         {"role_name": "ANALYST"}),
        ("09:04", "ALTER_MASKING_POLICY", "alter masking policy mp rename to mp2"),
        ("09:05", "ALTER_MASKING_POLICY", "alter masking policy mp2 set body -> "
         "case when current_role() in ('ADMIN', 'ANALYST') then val else '***' end"),
        ("09:06", "CREATE_TABLE_AS_SELECT", "create table db.s.after as select id, email from db.s.pii",
         {"role_name": "ANALYST"}),
    ])
    # ANALYST read '***' before the rename; after it, the new body shows ANALYST the e-mails
    assert terminals(config) == {(PII, "db.s.after.email")}
