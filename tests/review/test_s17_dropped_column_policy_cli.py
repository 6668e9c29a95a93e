"""A column dropped and added again under its name is not masked by the dropped column's policy, through the
installed CLI.

Snowflake removes a column's masking policy assignment with the column (``ALTER TABLE … DROP COLUMN``). The
policy fact stayed on the column id, so the re-added ``db.s.k.e`` filled with e-mails by ``INSERT`` was taken
as masked and was no finding (a false negative, found in review s17).
"""

from __future__ import annotations

from pathlib import Path

from tests.review.history import EMAIL_PII, PII_TABLE, crawled, role_policy, terminals


def test_a_re_added_column_is_not_masked_by_the_dropped_ones_policy(tmp_path: Path) -> None:
    rows = [PII_TABLE, role_policy("09:01", "m", "PII_ADMIN"),
            ("09:02", "CREATE_TABLE", "create table db.s.k (id int, e varchar)"),
            ("09:03", "ALTER_TABLE", "alter table db.s.k modify column e set masking policy m"),
            ("09:04", "ALTER_TABLE", "alter table db.s.k drop column e"),
            ("09:05", "ALTER_TABLE_ADD_COLUMN", "alter table db.s.k add column e varchar"),
            ("09:06", "INSERT", "insert into db.s.k (e) select email from db.s.pii"),
            # control: the policy set on the new column masks it again
            ("09:07", "CREATE_TABLE", "create table db.s.j (e varchar)"),
            ("09:07:30", "ALTER_TABLE", "alter table db.s.j drop column e"),
            ("09:08", "ALTER_TABLE_ADD_COLUMN", "alter table db.s.j add column e varchar"),
            ("09:08:30", "ALTER_TABLE", "alter table db.s.j modify column e set masking policy m"),
            ("09:09", "INSERT", "insert into db.s.j (e) select email from db.s.pii")]
    found = terminals(crawled(tmp_path, rows, EMAIL_PII))
    assert ("db.s.pii.email", "db.s.k.e") in found, found  # before: masked by the dropped column's policy
    assert ("db.s.pii.email", "db.s.j.e") not in found, found
