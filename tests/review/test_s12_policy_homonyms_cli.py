"""Two masking policies of one name in different schemas (review s12 R1, a false negative).

A policy is a schema object: ``db.s.email_mask`` and ``other.gov.email_mask`` are two
policies (Snowflake "CREATE MASKING POLICY": the name is unique in its schema). Bodies were
kept under the bare name, so the later ``CREATE OR REPLACE MASKING POLICY email_mask`` run in
another schema replaced the first one's body: a copy by TRANSFORMER, whom the column's own
policy shows clear e-mails, was judged by the other policy (clear to HR only) and taken to
hold masked values. Bodies are now kept qualified and every body of the name is joined
(clear roles of either count).
"""

from __future__ import annotations

from pathlib import Path

from tests.review.history import PII_TABLE, crawled, findings, role_policy, terminals

PII = "db.s.pii.email"
OTHER_SCHEMA = {"database_name": "OTHER", "schema_name": "GOV"}
MASKED_PII = [
    PII_TABLE,
    role_policy("09:01", "email_mask", "TRANSFORMER"),
    ("09:02", "ALTER_TABLE_MODIFY_COLUMN", "alter table db.s.pii modify column email set masking policy email_mask"),
]
"""db.s.pii.email masked by db.s.email_mask, which shows clear values to TRANSFORMER only."""


def test_a_policy_of_the_same_name_elsewhere_does_not_hide_a_clear_copy(tmp_path: Path) -> None:
    config = crawled(tmp_path, [
        *MASKED_PII,
        # another team's policy of the same name, in its own schema
        role_policy("09:03", "email_mask", "HR", **OTHER_SCHEMA),
        ("09:04", "CREATE_TABLE_AS_SELECT", "create table db.s.c as select id, email from db.s.pii"),
        ("09:05", "CREATE_TABLE_AS_SELECT", "create table db.s.m as select id, email from db.s.pii",
         {"role_name": "ANALYST"}),
    ])
    # TRANSFORMER read clear e-mails; ANALYST is masked by both policies of that name
    assert terminals(config) == {(PII, "db.s.c.email")}
    [finding] = findings(config)
    assert "2 masking policies are named email_mask" in finding["note"]


def test_a_drop_elsewhere_leaves_the_body_known(tmp_path: Path) -> None:
    config = crawled(tmp_path, [
        *MASKED_PII,
        ("09:03", "DROP_MASKING_POLICY", "drop masking policy other.gov.email_mask"),
        ("09:04", "CREATE_TABLE_AS_SELECT", "create table db.s.m as select id, email from db.s.pii",
         {"role_name": "ANALYST"}),
        ("09:05", "CREATE_TABLE_AS_SELECT", "create table db.s.c as select id, email from db.s.pii"),
    ])
    assert terminals(config) == {(PII, "db.s.c.email")}
