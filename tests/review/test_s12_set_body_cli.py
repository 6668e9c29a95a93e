"""A body replaced by ``ALTER MASKING POLICY … SET BODY`` is understood (review s12 R7, a false positive).

``SET BODY`` does not repeat the policy's signature (it cannot change: Snowflake "ALTER MASKING
POLICY"), so the argument's name was unknown and every later body was "not understood": each copy
under the policy, by any role, counted as holding clear values. The one column a body reads is the
argument (a body may read only its arguments).
"""

from __future__ import annotations

from pathlib import Path

from tests.review.history import PII_TABLE, crawled, terminals

PII = "db.s.pii.email"


def test_a_copy_by_a_role_the_new_body_masks_holds_masked_values(tmp_path: Path) -> None:
    config = crawled(tmp_path, [
        PII_TABLE,
        ("09:01", "CREATE_MASKING_POLICY", "create masking policy m as (val string) returns string -> '***'"),
        ("09:02", "ALTER_TABLE_MODIFY_COLUMN", "alter table db.s.pii modify column email set masking policy m"),
        ("09:03", "ALTER_MASKING_POLICY", "alter masking policy m set body -> "
         "case when current_role() in ('TRANSFORMER') then val else '***' end"),
        ("09:04", "CREATE_TABLE_AS_SELECT", "create table db.s.a as select id, email from db.s.pii",
         {"role_name": "ANALYST"}),
        ("09:05", "CREATE_TABLE_AS_SELECT", "create table db.s.c as select id, email from db.s.pii"),
    ])
    assert terminals(config) == {(PII, "db.s.c.email")}
