"""A masking policy that tests INVOKER_ROLE() does not mask a view its owner may read (review s12 R2).

Snowflake "INVOKER_ROLE": through a view the function evaluates the **view owner's role**
(table "Context / Evaluated role": View -> View owner role), so ``CASE WHEN INVOKER_ROLE() IN
('REPORTING') THEN val ELSE '***' END`` on ``pii.email`` shows clear e-mails to everyone who reads a
view owned by REPORTING, whatever their own role. The rule "a view enforces its base column's
policy" held the view masked: no finding, while any PUBLIC reader read the e-mails (a false
negative). ``CURRENT_ROLE()`` evaluates the reader's role and keeps the rule.
"""

from __future__ import annotations

from pathlib import Path

from tests.review.history import PII_TABLE, crawled, role_policy, terminals

PII = "db.s.pii.email"
REGISTRY = ("assets:\n"
            "  - {catalog_path: DB.S.PII.EMAIL, classification: restricted, regulatory_tags: [pii], steward: dpo}\n"
            "  - {catalog_path: DB.S.PII2.EMAIL, classification: restricted, regulatory_tags: [pii], steward: dpo}\n")


def test_a_view_owned_by_a_clear_role_exposes_an_invoker_role_policy(tmp_path: Path) -> None:
    config = crawled(tmp_path, [
        PII_TABLE,
        ("09:00:30", "CREATE_TABLE", "create table db.s.pii2 (id int, email varchar)"),
        role_policy("09:01", "by_invoker", "REPORTING", test="invoker_role()"),
        role_policy("09:01:30", "by_reader", "REPORTING"),
        ("09:02", "ALTER_TABLE_MODIFY_COLUMN", "alter table db.s.pii modify column email set masking policy by_invoker"),
        ("09:02:30", "ALTER_TABLE_MODIFY_COLUMN", "alter table db.s.pii2 modify column email set masking policy by_reader"),
        # REPORTING owns v and v2; ANALYST owns w
        ("09:03", "CREATE_VIEW", "create view db.s.v as select id, email from db.s.pii", {"role_name": "REPORTING"}),
        ("09:04", "CREATE_VIEW", "create view db.s.w as select id, email from db.s.pii", {"role_name": "ANALYST"}),
        ("09:05", "CREATE_VIEW", "create view db.s.v2 as select id, email from db.s.pii2", {"role_name": "REPORTING"}),
        # ANALYST's copy out of v: INVOKER_ROLE() was REPORTING, the copy holds clear e-mails
        ("09:06", "CREATE_TABLE_AS_SELECT", "create table db.s.c as select id, email from db.s.v",
         {"role_name": "ANALYST"}),
    ], registry=REGISTRY)
    assert terminals(config) == {(PII, "db.s.v.email"), (PII, "db.s.c.email")}
    # as of before v existed, nothing; the view is an exposure from its creation on
    assert terminals(config, "--as-of", "2026-05-04T09:02:45Z") == set()
    assert terminals(config, "--as-of", "2026-05-04T09:03:30Z") == {(PII, "db.s.v.email")}


def test_an_invoker_test_by_hierarchy_exposes_every_view(tmp_path: Path) -> None:
    # IS_GRANTED_TO_INVOKER_ROLE('REPORTING') is true for every owner inheriting REPORTING: not told
    config = crawled(tmp_path, [
        ("09:00", "CREATE_TABLE", "create table db.s.pii (id int, email varchar)"),
        ("09:01", "CREATE_MASKING_POLICY", "create masking policy m as (val string) returns string -> "
         "case when is_granted_to_invoker_role('REPORTING') then val else '***' end"),
        ("09:02", "ALTER_TABLE_MODIFY_COLUMN", "alter table db.s.pii modify column email set masking policy m"),
        ("09:03", "CREATE_VIEW", "create view db.s.w as select id, email from db.s.pii", {"role_name": "ANALYST"}),
    ])
    assert terminals(config) == {(PII, "db.s.w.email")}
