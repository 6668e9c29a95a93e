"""After ``ALTER TABLE t RENAME COLUMN email TO contact`` only ``t.contact`` holds the e-mails (review N6).

The rename was read as an in-table edge ``t.contact <- t.email`` with ``t.email``'s lineage left
open, so both ``t.email`` (a column Snowflake no longer has) and ``t.contact`` were reported (a
false positive). Now the old column's lineage moves to the new name at the rename's instant
(time-respecting, like a table RENAME): as of before it, ``t.email``; after it, ``t.contact``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli_run import export_edges, run_cli
from tests.review.history import crawled, terminals

PII = "db.s.pii.email"
ROWS = [
    ("09:00", "CREATE_TABLE", "create table db.s.pii (id int, email varchar)"),
    ("09:01", "CREATE_TABLE_AS_SELECT", "create table db.s.t as select id, email from db.s.pii"),
    ("09:02", "ALTER_TABLE", "alter table db.s.t rename column email to contact"),
    ("09:03", "CREATE_TABLE_AS_SELECT", "create table db.s.z as select contact from db.s.t"),
]


@pytest.mark.parametrize("batch_size", [1, 1000])
def test_the_old_column_is_no_longer_reported_after_the_rename(tmp_path: Path, batch_size: int) -> None:
    config = crawled(tmp_path, ROWS, batch_size=batch_size)
    assert terminals(config) == {(PII, "db.s.t.contact"), (PII, "db.s.z.contact")}
    assert terminals(config, "--as-of", "2026-05-04T09:01:30Z") == {(PII, "db.s.t.email")}
    first = export_edges(config, "--level", "column")
    run_cli(config, "crawl", "--reset-watermark", "--yes")  # a replay changes nothing
    assert export_edges(config, "--level", "column") == first


def test_a_rename_read_late_keeps_both_a_superset(tmp_path: Path) -> None:
    """Read after a later row of its table, the rename is folded as an add: the new name is reported
    (never lost); the old one stays too (a superset, README 'Late rows')."""
    config = crawled(tmp_path, [ROWS[0], ROWS[1], ROWS[3], ROWS[2]])
    assert (PII, "db.s.t.contact") in terminals(config)
