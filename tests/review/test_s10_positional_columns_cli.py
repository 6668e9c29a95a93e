"""Snowflake positional column references: ``$2`` is the FROM clause's second column.

Snowflake SELECT accepts ``[{object_name|alias}.]$col_position`` ("the position of the
column (1-based) as defined in the FROM clause") for tables and subqueries, not only for
staged files. ``create table c as select $2 as contact from pii`` copies the e-mails; the
column lineage had no edge for ``$2`` (read as a session variable) and ``p.$1`` became the
column ``db.s.pii.`` (no name): the copy was not reported. Where the columns before the
position are not known, the column may be any of them (``t.*``, as for ``SELECT *``).
"""

from __future__ import annotations

from pathlib import Path

from tests.review.history import crawled, terminals

PII = "db.s.pii.email"


def test_positional_references_resolve_to_the_column_at_that_position(tmp_path: Path) -> None:
    config = crawled(tmp_path, [
        ("09:00", "CREATE_TABLE", "create table db.s.pii (id int, email varchar, name varchar)"),
        ("09:00:30", "CREATE_TABLE", "create table db.s.orders (order_id int, total int)"),
        ("09:01", "CREATE_TABLE_AS_SELECT", "create table db.s.c as select $1 as id, $2 as contact from db.s.pii"),
        ("09:02", "CREATE_TABLE_AS_SELECT",
         "create table db.s.j as select o.$2 as total, p.$2 as who from db.s.orders o join db.s.pii p on o.$1 = p.$1"),
        ("09:03", "CREATE_TABLE_AS_SELECT", "create table db.s.k as select $4 from db.s.orders, db.s.pii"),
        ("09:04", "CREATE_TABLE_AS_SELECT", "create table db.s.n as select $1 as only_id, $3 as nm from db.s.pii"),
    ])
    assert terminals(config) == {(PII, "db.s.c.contact"), (PII, "db.s.j.who"), (PII, "db.s.k.$4")}
