"""Snowflake ``SELECT * ILIKE 'pattern'`` keeps only the columns whose names match.

Snowflake SELECT: ``* ILIKE '<pattern>'`` selects the columns matching the pattern
(case-insensitive). Read as a plain ``*``, every column of the table was taken to be
copied: ``select * ilike '%mail%' from pii`` reported the customers' names too.
"""

from __future__ import annotations

from pathlib import Path

from tests.review.history import crawled, terminals

REGISTRY = ("assets:\n"
            "  - {catalog_path: DB.S.PII.EMAIL, classification: restricted, regulatory_tags: [pii], steward: dpo}\n"
            "  - {catalog_path: DB.S.PII.NAME, classification: restricted, regulatory_tags: [pii], steward: dpo}\n")


def test_star_ilike_copies_only_the_matching_columns(tmp_path: Path) -> None:
    config = crawled(tmp_path, [
        ("09:00", "CREATE_TABLE", "create table db.s.pii (id int, email varchar, name varchar)"),
        ("09:01", "CREATE_TABLE_AS_SELECT", "create table db.s.m as select * ilike '%MAIL%' from db.s.pii"),
        ("09:02", "CREATE_TABLE_AS_SELECT", "create table db.s.n as select p.* ilike 'n_me' from db.s.pii p"),
    ], registry=REGISTRY)
    assert terminals(config) == {("db.s.pii.email", "db.s.m.email"), ("db.s.pii.name", "db.s.n.name")}
