"""Ownership statements are read from a statement's first tokens (issue 13: the whole 2,000-character
head of every CREATE was tokenized for a dozen tokens); a name beyond them is still found."""

from __future__ import annotations

import pytest

from lineage_engine.access.ownership import _HEAD_TOKENS, OwnershipStatement, parse_ownership


@pytest.mark.parametrize("modifiers", [0, 1, _HEAD_TOKENS - 8, _HEAD_TOKENS - 5, _HEAD_TOKENS - 2, _HEAD_TOKENS + 10])
def test_the_name_is_found_however_many_words_precede_it(modifiers: int) -> None:
    text = "CREATE OR REPLACE " + "SECURE " * modifiers + "VIEW IF NOT EXISTS v AS SELECT " + ", ".join(
        f"c{i}" for i in range(500)) + " FROM db.s.t"
    assert parse_ownership(text, "builder", "DB", "S") == OwnershipStatement("create_keep", "db.s.v", "BUILDER")


def test_a_temporary_table_or_a_long_select_sets_no_owner() -> None:
    assert parse_ownership("create temporary table db.s.t as select " + "1, " * 900 + "1", "R") is None
    assert parse_ownership("CREATE " + "TRANSIENT " * (_HEAD_TOKENS + 3) + "TEMP TABLE db.s.t (a int)", "R") is None
    assert parse_ownership("DROP ROLE IF EXISTS analyst", "admin") == OwnershipStatement("drop_role", "ANALYST", "ADMIN")
