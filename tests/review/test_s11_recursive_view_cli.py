"""``CREATE RECURSIVE VIEW`` has the lineage of its query (review s11 T3, a false negative, said).

Snowflake "CREATE VIEW": ``RECURSIVE`` makes a view that may refer to itself (an org chart
over a table of people). sqlglot rejects the word: the view was quarantined ``unsupported``,
so its column over the e-mails and every copy made from it were missing (``scan`` only said
"not seen: 1").
"""

from __future__ import annotations

from pathlib import Path

from tests.review.history import crawled, terminals

PII = "db.s.pii.email"


def test_recursive_view_reads_its_query(tmp_path: Path) -> None:
    config = crawled(tmp_path, [
        ("09:00", "CREATE_TABLE", "create table db.s.pii (id int, mgr int, email varchar)"),
        ("09:01", "CREATE_VIEW",
         "create or replace recursive view db.s.chain (id, mgr, top_email) as "
         "select id, mgr, email from db.s.pii where mgr is null "
         "union all select p.id, p.mgr, c.top_email from db.s.pii p join db.s.chain c on p.mgr = c.id"),
        ("09:02", "CREATE_TABLE_AS_SELECT", "create table db.s.report as select id, top_email from db.s.chain"),
    ])
    assert terminals(config) == {(PII, "db.s.chain.top_email"), (PII, "db.s.report.top_email")}
