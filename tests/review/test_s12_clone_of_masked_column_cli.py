"""A clone holds the stored values, not what the cloning role saw (review s12 R5, a false negative).

``CREATE TABLE c CLONE pii`` copies pii's data as stored, with its masking policies (Snowflake
"CREATE <object> … CLONE": a clone references the source's micro-partitions; policies and tags are
cloned). The crawl recorded the clone like a CTAS by its role, so a clone made by ANALYST (whom the
policy shows ``***``) was judged to hold masked values and never followed: once the policy was unset
on the clone, everyone read clear e-mails in c, and in d copied from it, with no finding.
"""

from __future__ import annotations

from pathlib import Path

from tests.review.history import PII_TABLE, crawled, role_policy, terminals

PII = "db.s.pii.email"
ANALYST = {"role_name": "ANALYST"}


def test_a_clone_by_a_masked_role_exposes_its_values_once_unmasked(tmp_path: Path) -> None:
    config = crawled(tmp_path, [
        PII_TABLE,
        role_policy("09:01", "m", "TRANSFORMER"),
        ("09:02", "ALTER_TABLE_MODIFY_COLUMN", "alter table db.s.pii modify column email set masking policy m"),
        ("09:03", "CREATE_TABLE", "create table db.s.c clone db.s.pii", ANALYST),
        ("09:03:30", "CREATE_TABLE", "create table db.s.kept clone db.s.pii", ANALYST),
        ("09:04", "ALTER_TABLE_MODIFY_COLUMN", "alter table db.s.c modify column email unset masking policy"),
        ("09:05", "CREATE_TABLE_AS_SELECT", "create table db.s.d as select id, email from db.s.c", ANALYST),
    ])
    # kept keeps the cloned policy: not an exposure; c is clear from the UNSET on, and so is d's copy
    assert terminals(config) == {(PII, "db.s.c.email"), (PII, "db.s.d.email")}
    assert terminals(config, "--as-of", "2026-05-04T09:03:45Z") == set()
