"""A masking policy that tests ``IS_ROLE_IN_SESSION('R')`` shows clear values to more roles than R.

Snowflake "IS_ROLE_IN_SESSION": true when the active primary role **or a secondary role**
inherits the privileges of R (with ``DEFAULT_SECONDARY_ROLES = ('ALL')`` any role granted to
the user). The query history's ``ROLE_NAME`` is the primary role only: a CTAS by SYSADMIN
(which usually inherits every custom role) or by any user who also holds R read the
e-mails in clear. Judged as "only R is clear", the copy was taken to hold masked values and
not reported: a false negative. ``CURRENT_ROLE()`` tests the primary role alone and keeps its
judgement.
"""

from __future__ import annotations

from pathlib import Path

from tests.review.history import crawled, findings, terminals

PII = "db.s.pii.email"


def test_copy_under_a_role_hierarchy_policy_counts_as_clear(tmp_path: Path) -> None:
    config = crawled(tmp_path, [
        ("09:00", "CREATE_TABLE", "create table db.s.pii (id int, email varchar)"),
        ("09:01", "CREATE_MASKING_POLICY", "create masking policy hier as (val string) returns string -> "
         "case when is_role_in_session('PII_READER') then val else '***' end"),
        ("09:01:30", "CREATE_MASKING_POLICY", "create masking policy prim as (val string) returns string -> "
         "case when current_role() in ('PII_READER') then val else '***' end"),
        ("09:02", "CREATE_TABLE", "create table db.s.pii2 (id int, email varchar)"),
        ("09:03", "ALTER_TABLE_MODIFY_COLUMN", "alter table db.s.pii modify column email set masking policy hier"),
        ("09:03:30", "ALTER_TABLE_MODIFY_COLUMN", "alter table db.s.pii2 modify column email set masking policy prim"),
        ("09:04", "CREATE_TABLE_AS_SELECT", "create table db.s.c as select id, email from db.s.pii",
         {"role_name": "SYSADMIN"}),
        ("09:05", "CREATE_TABLE_AS_SELECT", "create table db.s.c2 as select id, email from db.s.pii2",
         {"role_name": "SYSADMIN"}),
    ], registry="assets:\n"
       "  - {catalog_path: DB.S.PII.EMAIL, classification: restricted, regulatory_tags: [pii], steward: dpo}\n"
       "  - {catalog_path: DB.S.PII2.EMAIL, classification: restricted, regulatory_tags: [pii], steward: dpo}\n")
    # SYSADMIN's copy through CURRENT_ROLE() holds '***'; through IS_ROLE_IN_SESSION it may hold e-mails
    assert terminals(config) == {(PII, "db.s.c.email")}
    assert any("not understood" in (f.get("note") or "") for f in findings(config))
