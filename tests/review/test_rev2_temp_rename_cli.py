"""A temporary table renamed in its session stays temporary (review rev2 V5, a false positive).

``create temporary table tmp …; alter table tmp rename to tmp_b`` gave ``tmp_b`` a REPLACE event
as a persistent table (a rename onto a name outside the temp patterns is how dbt's
``X__dbt_tmp`` tables become ``X``), so ``tmp_b`` was reported as an unmasked copy of the
e-mails. Snowflake keeps a table's type across a rename: only a temp known by its name pattern
(not created TEMPORARY) becomes persistent when renamed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.review.history import PII_TABLE, crawled, terminals

PII = "db.s.pii.email"


@pytest.mark.parametrize("batch_size", [1, 1000])  # the flag is kept in the crawl state between batches
def test_a_renamed_temporary_table_is_no_persistent_copy(tmp_path: Path, batch_size: int) -> None:
    config = crawled(tmp_path, [
        PII_TABLE,
        ("09:01", "CREATE_TABLE_AS_SELECT", "create temporary table tmp as select id, email from db.s.pii"),
        ("09:02", "RENAME_TABLE", "alter table tmp rename to tmp_b"),
        ("09:03", "CREATE_TABLE_AS_SELECT", "create table db.s.out as select id, email from tmp_b"),
    ], batch_size=batch_size)
    assert terminals(config) == {(PII, "db.s.out.email")}  # through the renamed temp, not the temp itself


def test_a_dbt_tmp_table_renamed_still_becomes_the_model(tmp_path: Path) -> None:
    config = crawled(tmp_path, [
        PII_TABLE,
        ("09:01", "CREATE_TABLE_AS_SELECT", "create table db.s.model__dbt_tmp as select id, email from db.s.pii"),
        ("09:02", "RENAME_TABLE", "alter table db.s.model__dbt_tmp rename to db.s.model"),
    ])
    assert terminals(config) == {(PII, "db.s.model.email")}
