"""A ``SWAP WITH`` gives each name the other side's column type (review s16, typereg item 1: a false negative).

``db.s.a.c`` is a CTAS copy of ``pii.email`` (VARCHAR); ``db.s.b`` (made outside the history: its column
type is not known, it may be VARIANT) is filled from ``pii.email`` too. ``alter table db.s.a swap with db.s.b``
exchanges the two tables (Snowflake "ALTER TABLE … SWAP WITH"): ``a`` now holds ``b``'s column. Both names
held a copy of the same upstream column, so the column lineage keeps each interval open across the swap;
``a.c`` kept the type of its own CTAS and the tag's STRING policy was taken to mask it. ``b.c`` (now the
VARCHAR CTAS table) was reported though its STRING policy masks it (an over-report).
"""

from __future__ import annotations

from pathlib import Path

from tests.review.history import EMAIL_PII, Row, crawled, terminals

LOADER = {"session_id": "99", "role_name": "LOADER"}
ROWS: list[Row] = [
    ("09:00", "CREATE_TABLE", "create table db.s.pii (id int, email varchar)"),
    ("09:01", "CREATE_MASKING_POLICY", "create masking policy str_mask as (val string) returns string -> "
                                       "case when current_role() in ('PII_ADMIN') then val else '***' end"),
    ("09:01:01", "ALTER_TAG", "alter tag pii set masking policy str_mask"),
    ("09:03", "CREATE_TABLE_AS_SELECT", "create table db.s.a as select email as c from db.s.pii"),
    ("09:03:10", "INSERT", "insert into db.s.b (c) select email from db.s.pii", LOADER),
    ("09:04", "ALTER_TABLE", "alter table db.s.a swap with db.s.b"),
]
TAGS: list[Row] = [("09:05", "ALTER_TABLE", "alter table db.s.a set tag pii = 'x'"),
                   ("09:05:01", "ALTER_TABLE", "alter table db.s.b set tag pii = 'x'")]
A, B = ("db.s.pii.email", "db.s.a.c"), ("db.s.pii.email", "db.s.b.c")


def test_a_swapped_table_has_the_other_sides_column_type(tmp_path: Path) -> None:
    found = terminals(crawled(tmp_path, ROWS + TAGS, EMAIL_PII))
    assert A in found  # a holds b's column: type not known, counted as unmasked
    assert B not in found  # b holds a's VARCHAR CTAS column: the STRING policy masks it


def test_a_second_swap_gives_the_types_back(tmp_path: Path) -> None:
    back: Row = ("09:04:30", "ALTER_TABLE", "alter table db.s.b swap with db.s.a")
    found = terminals(crawled(tmp_path, [*ROWS, back, *TAGS], EMAIL_PII))
    assert A not in found
    assert B in found
