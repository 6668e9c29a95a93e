"""A ``*`` inside a function call carries every column: ``OBJECT_CONSTRUCT(*)`` packs the whole
row (the usual way to unload or serialise it), so the e-mail reaches the result. It was read
as carrying nothing (like ``COUNT(*)``): with other columns of the statement known, the walk
took the hop as not carrying the e-mail and the copy was missed. ``HASH(*)`` is masked and
``COUNT(*)`` still carries no column.
"""

from __future__ import annotations

from pathlib import Path

from tests.review.history import crawled, terminals

PII = "db.s.pii.email"


def test_star_argument_carries_every_column(tmp_path: Path) -> None:
    config = crawled(tmp_path, [
        ("09:00", "CREATE_TABLE", "create table db.s.pii (id int, email varchar)"),
        ("09:01", "CREATE_TABLE_AS_SELECT",
         "create table db.s.j as select id, object_construct(*) o, to_json(object_construct(*)) js, hash(*) h, "
         "count(*) over () n from db.s.pii"),
    ])
    assert terminals(config) == {(PII, "db.s.j.o"), (PII, "db.s.j.js")}
