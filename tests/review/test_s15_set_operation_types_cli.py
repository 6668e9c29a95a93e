"""A set operation's column is typed only when it is a bare column in every branch, whatever the
branches' form (review s14 R2, the rest), through the installed CLI.

Snowflake gives a set operation's column the common supertype of its branches (NUMBER with FLOAT
is FLOAT), so a tag's NUMBER policy does not mask a ``UNION`` column whose other branch is a FLOAT
literal. Branches in parentheses (``(SELECT …) UNION ALL (SELECT …)``) and branches matched by name
(``UNION ALL BY NAME``) were not read: the column was typed as its column branch (NUMBER) and
taken as masked, a false negative.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.review.history import Row, crawled, terminals

REGISTRY = "assets:\n  - {catalog_path: DB.S.PII.SSN, classification: restricted, regulatory_tags: [pii], steward: dpo}\n"
ROWS: list[Row] = [
    ("09:00", "CREATE_TABLE", "create table db.s.pii (id int, email varchar, ssn number)"),
    ("09:01", "CREATE_MASKING_POLICY", "create masking policy num_mask as (val number) returns number -> "
                                       "case when current_role() in ('PII_ADMIN') then val else 0 end"),
    ("09:02", "ALTER_TAG", "alter tag pii set masking policy num_mask"),
]
QUERIES = {
    "parenthesized": "(select ssn as c from db.s.pii) union all (select 1.5::float from db.s.pii)",
    "second_in_parentheses": "select ssn as c from db.s.pii union all (select 1.5::float from db.s.pii)",
    "by_name": "select id, ssn as c from db.s.pii union all by name select 1.5::float as c, id from db.s.pii",
}


@pytest.mark.parametrize("form", sorted(QUERIES))
def test_a_set_operation_column_with_a_literal_branch_is_not_typed(tmp_path: Path, form: str) -> None:
    rows = [*ROWS,
            ("09:03", "CREATE_TABLE_AS_SELECT", f"create table db.s.t as {QUERIES[form]}"),
            ("09:03:30", "CREATE_TABLE_AS_SELECT", "create table db.s.ok as (select ssn as c from db.s.pii) "
                                                   "union all (select ssn from db.s.pii)"),
            ("09:05", "ALTER_TABLE", "alter table db.s.t set tag pii = 'x'"),
            ("09:05:10", "ALTER_TABLE", "alter table db.s.ok set tag pii = 'x'")]
    found = terminals(crawled(tmp_path, rows, REGISTRY))
    assert ("db.s.pii.ssn", "db.s.t.c") in found  # before: typed NUMBER, masked (a false negative)
    assert ("db.s.pii.ssn", "db.s.ok.c") not in found  # bare columns in both branches: NUMBER, masked


INNER = {  # review s14 R1/R2 in a CTE or subquery: the outer column is a bare reference to it
    "cte_cast": "with q as (select ssn::float as c from db.s.pii) select c from q",
    "cte_cast_star": "with q as (select id, ssn::float as c from db.s.pii) select * from q",
    "subquery_union": "select z.c from (select ssn as c from db.s.pii union all select 1.5 from db.s.pii) z",
}


@pytest.mark.parametrize("form", sorted(INNER))
def test_a_cast_or_union_inside_a_cte_or_subquery_types_the_column(tmp_path: Path, form: str) -> None:
    rows = [*ROWS,
            ("09:03", "CREATE_TABLE_AS_SELECT", f"create table db.s.t as {INNER[form]}"),
            ("09:03:30", "CREATE_TABLE_AS_SELECT", "create table db.s.ok as with q as (select id, ssn::number(38, 0) "
                                                   "as c from db.s.pii) select * from q"),
            ("09:05", "ALTER_TABLE", "alter table db.s.t set tag pii = 'x'"),
            ("09:05:10", "ALTER_TABLE", "alter table db.s.ok set tag pii = 'x'")]
    found = terminals(crawled(tmp_path, rows, REGISTRY))
    assert ("db.s.pii.ssn", "db.s.t.c") in found  # FLOAT (or not known): before, typed NUMBER and masked
    assert ("db.s.pii.ssn", "db.s.ok.c") not in found  # cast to NUMBER: masked
