"""``UNPIVOT`` and ``PIVOT`` give a relation new columns that hold the pivoted values.

``UNPIVOT (val FOR col IN (email, name))`` puts every e-mail into ``val``: a copy of ``val``
copies them. Read as the plain table, the scan reported an ``email`` column the result does
not have and missed the copy of ``val``. ``PIVOT (MAX(email) FOR name IN ('a' AS x, 'b'))``
puts the e-mails into the columns ``x`` and ``'?'``: a value without an alias is named ``'?'``
(a literal never becomes part of an id: pivot values may be PII).
"""

from __future__ import annotations

from pathlib import Path

from tests.cli_run import export_edges
from tests.review.history import crawled, terminals

PII = "db.s.pii.email"


def test_unpivot_and_pivot_columns_hold_the_values(tmp_path: Path) -> None:
    config = crawled(tmp_path, [
        ("09:00", "CREATE_TABLE", "create table db.s.pii (id int, email varchar, name varchar)"),
        ("09:01", "CREATE_TABLE_AS_SELECT",
         "create table db.s.unp as select * from db.s.pii unpivot (val for col in (email, name))"),
        ("09:02", "CREATE_TABLE_AS_SELECT", "create table db.s.z as select id, val from db.s.unp"),
        ("09:03", "CREATE_TABLE_AS_SELECT",
         "create table db.s.pv as select * from (select id, name, email from db.s.pii) "
         "pivot (max(email) for name in ('a' as x, 'jane@example.com')) as p"),
    ])
    assert terminals(config) == {(PII, "db.s.unp.val"), (PII, "db.s.z.val"),
                                 (PII, "db.s.pv.x"), (PII, "db.s.pv.'?'")}
    assert "jane" not in export_edges(config, "--level", "column")  # the literal is no column name
