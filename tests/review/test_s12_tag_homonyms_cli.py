"""A masking policy on one tag does not mask columns carrying another tag of the same name (review s12 R4).

A tag is a schema object (Snowflake "CREATE TAG": its name is unique in its schema), so
``hr.tags.pii`` and ``governance.tags.pii`` are two tags. Tag-based masking matched tags on the
last part of their name only: a policy set on HR's ``pii`` tag was taken to mask the e-mail column
that carries governance's ``pii`` tag (which has no policy), so its copy and its view were no
finding while everyone read the e-mails in clear (a false negative). Names as written now must
agree on every part both give (``pii`` still matches ``governance.tags.pii``).
"""

from __future__ import annotations

from pathlib import Path

from tests.review.history import PII_TABLE, crawled, role_policy, terminals

PII = "db.s.pii.email"
ROWS = [
    PII_TABLE,
    role_policy("09:01", "hr.gov.m", "HR"),
    ("09:02", "ALTER", "alter tag hr.tags.pii set masking policy hr.gov.m"),
]


def test_a_policy_on_another_schemas_tag_of_that_name_masks_nothing(tmp_path: Path) -> None:
    config = crawled(tmp_path, [
        *ROWS,
        ("09:03", "ALTER_TABLE_MODIFY_COLUMN", "alter table db.s.pii modify column email set tag governance.tags.pii = 'email'"),
        ("09:04", "CREATE_TABLE_AS_SELECT", "create table db.s.c as select id, email from db.s.pii"),
        ("09:05", "CREATE_VIEW", "create view db.s.v as select id, email from db.s.pii"),
    ])
    assert terminals(config) == {(PII, "db.s.c.email"), (PII, "db.s.v.email")}


def test_the_same_tag_written_shorter_still_masks(tmp_path: Path) -> None:
    config = crawled(tmp_path, [
        *ROWS,
        ("09:03", "ALTER_TABLE_MODIFY_COLUMN", "alter table db.s.pii modify column email set tag tags.pii = 'email'"),
        ("09:05", "CREATE_VIEW", "create view db.s.v as select id, email from db.s.pii"),
    ])
    assert terminals(config) == set()
