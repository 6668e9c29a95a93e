"""A virtual column shows what its expression reads, through the installed CLI.

Snowflake "Virtual columns" (``CREATE TABLE t (c type AS (expr))``, ``ALTER TABLE t ADD COLUMN c type AS (expr)``)
computes ``c`` from other columns of ``t`` when ``t`` is read. The definition was read as a plain column, so
``create table db.s.t as select eu from db.s.pii`` over ``eu varchar as (upper(email))`` copied the e-mails
without a finding (a false negative, found in review s18). Now the definition is an in-table edge ``eu <- email``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.review.history import EMAIL_PII, PII_TABLE, crawled, terminals

COPY = ("09:02", "CREATE_TABLE_AS_SELECT", "create table db.s.t as select id, eu from db.s.pii")


@pytest.mark.parametrize("defined", [
    [("09:00", "CREATE_TABLE", "create table db.s.pii (id int, email varchar, eu varchar as (upper(email)))")],
    [PII_TABLE, ("09:01", "ALTER_TABLE_ADD_COLUMN", "alter table db.s.pii add column eu varchar as (email)")],
], ids=["create", "add"])
def test_a_copy_of_a_virtual_column_copies_what_it_reads(tmp_path: Path, defined: list) -> None:
    found = terminals(crawled(tmp_path, defined + [COPY], EMAIL_PII))
    assert ("db.s.pii.email", "db.s.t.eu") in found, found  # before: no finding
    assert ("db.s.pii.email", "db.s.t.id") not in found, found
