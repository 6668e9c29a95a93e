"""A CTAS that reads a Time Travel point gets its column's type at that point (review s15 T5, a false negative).

``db.s.a.c`` held e-mails as VARCHAR until 09:04, then was dropped and re-added as DATE (Snowflake changes a
type across families only so). ``create table db.s.k as select c from db.s.a at (offset => -60)`` at 09:04:30
reads ``a`` as it was at 09:03:30 (Snowflake "AT | BEFORE"): ``k.c`` is VARCHAR, holding e-mails. It was
typed from ``a.c``'s current DATE, so the tag's only (DATE) policy was taken to mask it. A point not known
(a timestamp without a zone: the session's time zone decides) gives no type: counted as unmasked.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.review.history import EMAIL_PII, Row, crawled, scan_paths

ROWS: list[Row] = [
    ("09:00", "CREATE_TABLE", "create table db.s.pii (id int, email varchar, dob date)"),
    ("09:01", "CREATE_MASKING_POLICY", "create masking policy date_mask as (val date) returns date -> "
                                       "case when current_role() in ('PII_ADMIN') then val else null end"),
    ("09:01:01", "ALTER_TAG", "alter tag pii set masking policy date_mask"),
    ("09:03", "CREATE_TABLE", "create table db.s.a (c varchar)"),
    ("09:03:10", "INSERT", "insert into db.s.a select email from db.s.pii"),
    ("09:04", "ALTER_TABLE", "alter table db.s.a drop column c"),
    ("09:04:05", "ALTER_TABLE", "alter table db.s.a add column c date"),
]
POINTS = {"offset": "offset => -60", "no_zone": "timestamp => '2026-05-04 09:03:30'::timestamp_ntz"}


@pytest.mark.parametrize("point", sorted(POINTS))
def test_a_ctas_at_a_point_has_the_type_of_that_point(tmp_path: Path, point: str) -> None:
    rows = [*ROWS, ("09:04:30", "CREATE_TABLE_AS_SELECT",
                    f"create table db.s.k as select c from db.s.a at ({POINTS[point]})"),
            ("09:05", "ALTER_TABLE", "alter table db.s.k set tag pii = 'x'")]
    found = {(p["origin"], p["terminal"]): p.get("note") or "" for p in scan_paths(crawled(tmp_path, rows, EMAIL_PII))}
    assert ("db.s.pii.email", "db.s.k.c") in found, found
    note = found[("db.s.pii.email", "db.s.k.c")]
    assert ("is VARCHAR" in note) if point == "offset" else ("not known" in note), note
