"""A column's masking policy goes with it when the column is renamed (review s12 R6: FN and FP).

Snowflake attaches a masking policy to the column, not to its name: after ``ALTER TABLE pii
RENAME COLUMN email TO email_old`` the policy masks ``email_old``. The crawl moved the column's
lineage but left its policy on the name ``email``: ``email_old`` and the view over it were reported
as unmasked (false positives), and a new column ``email`` (no policy; filled in clear by
TRANSFORMER) was held masked, so ANALYST's copy of it was taken to hold ``***`` (a false negative).
"""

from __future__ import annotations

from pathlib import Path

from tests.review.history import PII_TABLE, crawled, role_policy, terminals

PII = "db.s.pii.email"


def test_a_renamed_column_keeps_its_policy_and_its_old_name_loses_it(tmp_path: Path) -> None:
    config = crawled(tmp_path, [
        PII_TABLE,
        role_policy("09:01", "m", "TRANSFORMER"),
        ("09:02", "ALTER_TABLE_MODIFY_COLUMN", "alter table db.s.pii modify column email set masking policy m"),
        ("09:03", "RENAME_COLUMN", "alter table db.s.pii rename column email to email_old"),
        ("09:04", "ALTER_TABLE_ADD_COLUMN", "alter table db.s.pii add column email varchar"),
        ("09:05", "UPDATE", "update db.s.pii set email = email_old"),  # TRANSFORMER reads clear e-mails
        ("09:06", "CREATE_VIEW", "create view db.s.v as select id, email_old from db.s.pii"),
        ("09:07", "CREATE_TABLE_AS_SELECT", "create table db.s.c as select id, email from db.s.pii",
         {"role_name": "ANALYST"}),
    ])
    # email_old and v are masked by m; the new email column is not, and c holds its clear values
    assert terminals(config) == {(PII, "db.s.c.email")}
