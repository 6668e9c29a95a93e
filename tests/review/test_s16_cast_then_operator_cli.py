"""A cast followed by an operator is not the column's type (review s15 T13), through the installed CLI.

``CAST(ssn AS VARCHAR) = '1' AS f`` is a BOOLEAN column; the text scan took the cast at its head as
the item's type (VARCHAR), so a tag's STRING policy was taken to mask a copy of the social security
numbers' comparison, which the engine reports wherever it is unmasked: a false negative.
"""

from __future__ import annotations

from pathlib import Path

from tests.review.history import Row, crawled, terminals

REGISTRY = "assets:\n  - {catalog_path: DB.S.PII.SSN, classification: restricted, regulatory_tags: [pii], steward: dpo}\n"


def test_a_cast_followed_by_an_operator_does_not_type_the_column(tmp_path: Path) -> None:
    rows: list[Row] = [
        ("09:00", "CREATE_TABLE", "create table db.s.pii (id int, email varchar, ssn number)"),
        ("09:01", "CREATE_MASKING_POLICY", "create masking policy str_mask as (val string) returns string -> "
                                           "case when current_role() in ('PII_ADMIN') then val else '***' end"),
        ("09:01:10", "CREATE_MASKING_POLICY", "create masking policy num_mask as (val number) returns number -> "
                                              "case when current_role() in ('PII_ADMIN') then val else 0 end"),
        ("09:02", "ALTER_TAG", "alter tag pii set masking policy str_mask"),
        ("09:02:10", "ALTER_TAG", "alter tag pii set masking policy num_mask"),
        ("09:03", "CREATE_TABLE_AS_SELECT",
         "create table db.s.t as select cast(ssn as varchar) = '1' as f, ssn::varchar is not null as g, "
         "ssn::varchar as k, cast(ssn as number(10, 0)) as n from db.s.pii"),
        ("09:05", "ALTER_TABLE", "alter table db.s.t set tag pii = 'x'"),
    ]
    found = terminals(crawled(tmp_path, rows, REGISTRY))
    assert ("db.s.pii.ssn", "db.s.t.f") in found  # BOOLEAN: before, typed VARCHAR and taken as masked
    assert ("db.s.pii.ssn", "db.s.t.g") in found
    assert ("db.s.pii.ssn", "db.s.t.k") not in found  # the cast is the item: VARCHAR, masked by str_mask
    assert ("db.s.pii.ssn", "db.s.t.n") not in found  # NUMBER, masked by num_mask
