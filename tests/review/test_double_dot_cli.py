"""``db..t`` names ``db.PUBLIC.t`` (Snowflake "double-dot notation").

sqlglot leaves the schema an empty string, and the name normaliser failed on it with an
AttributeError: the statement went to quarantine as ``internal_error`` and the copy of the
e-mails it made was not in the graph (only counted as not seen).
"""

from __future__ import annotations

from pathlib import Path

from tests.review.history import crawled, terminals

PUBLIC_PII = "assets:\n  - {catalog_path: DB.PUBLIC.PII.EMAIL, classification: restricted, regulatory_tags: [pii], steward: dpo}\n"


def test_double_dot_names_the_public_schema(tmp_path: Path) -> None:
    rows = [
        ("09:00", "CREATE_TABLE", "create table db.public.pii (id int, email varchar)"),
        ("09:01", "CREATE_TABLE_AS_SELECT", "create table db.s.copy as select email from db..pii"),
        ("09:02", "INSERT", "insert into db..copy2 select p.email from db..pii p"),
    ]
    config = crawled(tmp_path, rows, PUBLIC_PII)
    assert terminals(config) == {("db.public.pii.email", "db.s.copy.email"),
                                 ("db.public.pii.email", "db.public.copy2.email")}
