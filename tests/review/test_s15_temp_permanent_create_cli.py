"""A permanent CREATE of a name its session holds as a temporary table (review s14 R11a).

Snowflake lets a session create a permanent table with the name of one of its temporary tables
("Working with Temporary and Transient Tables", potential naming conflicts): the permanent table
exists for every other session, hidden by the temporary one in the creating session. The crawl took
``create table db.s.stage_final as select … ssn …`` (no TEMPORARY) after ``create temporary table
stage_final …`` as a write into the temp: the permanent table got no lineage and a reader in another
session lost the path from ``pii.ssn``. Now the permanent table gets it; an ``OR REPLACE`` also
gives it to the temp (Snowflake may have replaced the temp: the session's later reads see both).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.review.history import crawled, terminals

PII = ("09:00", "CREATE_TABLE", "create table db.s.pii (id int, email varchar, ssn number)")
PII_COLUMNS = ("assets:\n"
               "  - {catalog_path: DB.S.PII.EMAIL, classification: restricted, regulatory_tags: [pii], steward: dpo}\n"
               "  - {catalog_path: DB.S.PII.SSN, classification: restricted, regulatory_tags: [pii], steward: dpo}\n")
ANALYST = {"session_id": "8", "user_name": "ANALYST", "role_name": "ANALYST"}


@pytest.mark.parametrize("batch_size", [1, 1000])
def test_a_permanent_create_of_a_temps_name_reaches_other_sessions(tmp_path: Path, batch_size: int) -> None:
    config = crawled(tmp_path, [
        PII,
        ("09:01", "CREATE_TABLE_AS_SELECT", "create temporary table stage_final as select id, email from db.s.pii"),
        ("09:03", "CREATE_TABLE_AS_SELECT", "create table db.s.stage_final as select id, ssn as email from db.s.pii"),
        ("09:04", "CREATE_TABLE_AS_SELECT", "create table db.s.mine as select id, email from stage_final"),
        ("10:05", "CREATE_TABLE_AS_SELECT", "create table db.s.report as select id, email from db.s.stage_final",
         ANALYST),
    ], PII_COLUMNS, batch_size=batch_size)
    found = terminals(config)
    assert ("db.s.pii.ssn", "db.s.report.email") in found, found
    assert ("db.s.pii.ssn", "db.s.stage_final.email") in found, found
    # the creating session still reads its temporary table (the permanent one is hidden there)
    assert ("db.s.pii.email", "db.s.mine.email") in found, found
    assert ("db.s.pii.ssn", "db.s.mine.email") not in found, found


@pytest.mark.parametrize("batch_size", [1, 1000])
def test_create_or_replace_without_session_ids_reaches_both(tmp_path: Path, batch_size: int) -> None:
    """Rows without SESSION_ID (one user's rows in one database are one session): an ``OR REPLACE``
    of the temp's name is the permanent table, and may have replaced the temp too."""
    no_session = {"session_id": None}
    config = crawled(tmp_path, [
        PII,
        ("09:01", "CREATE_TABLE_AS_SELECT", "create temporary table stage_final as select id, email from db.s.pii",
         no_session),
        ("10:00", "CREATE_TABLE_AS_SELECT",
         "create or replace table db.s.stage_final as select id, ssn as email from db.s.pii", no_session),
        ("10:01", "CREATE_TABLE_AS_SELECT", "create table db.s.mine as select id, email from stage_final",
         no_session),
        ("10:05", "CREATE_TABLE_AS_SELECT", "create table db.s.report as select id, email from db.s.stage_final",
         {**ANALYST, "session_id": None}),
    ], PII_COLUMNS, batch_size=batch_size)
    found = terminals(config)
    assert ("db.s.pii.ssn", "db.s.report.email") in found, found
    assert {("db.s.pii.email", "db.s.mine.email"), ("db.s.pii.ssn", "db.s.mine.email")} <= found, found


@pytest.mark.parametrize("batch_size", [1, 1000])
def test_dbt_tmp_names_created_without_temporary_stay_temporary(tmp_path: Path, batch_size: int) -> None:
    """The temp patterns are unchanged: a ``__dbt_tmp`` relation is collapsed, never a dataset."""
    config = crawled(tmp_path, [
        PII,
        ("09:01", "CREATE_TABLE_AS_SELECT", "create temporary table db.s.m__dbt_tmp as select id, email from db.s.pii"),
        ("09:02", "CREATE_TABLE_AS_SELECT", "create or replace table db.s.m__dbt_tmp as select id, ssn as email from db.s.pii"),
        ("09:03", "CREATE_TABLE_AS_SELECT", "create table db.s.m as select id, email from db.s.m__dbt_tmp"),
    ], PII_COLUMNS, batch_size=batch_size)
    assert terminals(config) == {("db.s.pii.ssn", "db.s.m.email")}
