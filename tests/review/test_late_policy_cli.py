"""A masking policy or tag read late stays with its table, as the statements in END_TIME order leave it.

``alter table a modify column email set masking policy mp`` at 09:02 read after ``alter table a
rename to b`` at 09:03 (a file out of END_TIME order, or a row a later crawl reads) was stated
on the name ``a`` from 09:02 on: the masked table is ``b``, yet the new, clear ``a`` made at
09:04 counted as masked (missed) and ``b`` as clear. Now the crawl keeps the replaces, drops,
renames, swaps, clones and undrops it saw (registry ``object_changes``) and carries a fact read
late across the ones after it: it moves to the new name, swaps, ends at a replace or DROP.

Also here: reading the history again (``crawl --reset-watermark``) left a SWAP's policies on
the old names (a move applied twice was undone); an UNDROP in a later crawl than its DROP did not
bring the table's policies back.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli_run import run_cli
from tests.review.history import crawled, history_lines, install, terminals

PII = "db.s.pii.email"
POLICY = "create masking policy mp as (val string) returns string -> case when current_role() in ('ADMIN') then val else '***' end"
ROWS = [
    ("09:00", "CREATE_TABLE", "create table db.s.pii (id int, email varchar)"),
    ("09:00:30", "CREATE_MASKING_POLICY", POLICY),
    # RENAME: the masked table is b; the a made at 09:04 and filled in clear is exposed
    ("09:01", "CREATE_TABLE_AS_SELECT", "create table db.s.a as select id, email from db.s.pii"),
    ("09:03", "ALTER_TABLE", "alter table db.s.a rename to db.s.b"),
    ("09:02", "ALTER_TABLE", "alter table db.s.a modify column email set masking policy mp"),
    ("09:04", "CREATE_TABLE", "create table db.s.a (id int, email varchar)"),
    ("09:05", "INSERT", "insert into db.s.a select id, email from db.s.pii"),
    # SWAP: the masked table is sb from 09:14; the clear copy is under sa
    ("09:11", "CREATE_TABLE_AS_SELECT", "create table db.s.sa as select id, email from db.s.pii"),
    ("09:13", "CREATE_TABLE_AS_SELECT", "create table db.s.sb as select id, email from db.s.pii"),
    ("09:14", "ALTER_TABLE", "alter table db.s.sa swap with db.s.sb"),
    ("09:12", "ALTER_TABLE", "alter table db.s.sa modify column email set masking policy mp"),
    # CREATE OR REPLACE: the new r has no policy (Snowflake drops it with the old table)
    ("09:21", "CREATE_TABLE_AS_SELECT", "create table db.s.r as select id, email from db.s.pii"),
    ("09:23", "CREATE_TABLE_AS_SELECT", "create or replace table db.s.r as select id, email from db.s.pii"),
    ("09:22", "ALTER_TABLE", "alter table db.s.r modify column email set masking policy mp"),
    # a masking tag: it moves like a policy
    ("09:30", "ALTER_TAG", "alter tag gov.pii_tag set masking policy mp"),
    ("09:31", "CREATE_TABLE_AS_SELECT", "create table db.s.t as select id, email from db.s.pii"),
    ("09:33", "ALTER_TABLE", "alter table db.s.t rename to db.s.t2"),
    ("09:32", "ALTER_TABLE", "alter table db.s.t modify column email set tag gov.pii_tag = 'email'"),
    ("09:34", "CREATE_TABLE_AS_SELECT", "create table db.s.t as select id, email from db.s.pii"),
]
EXPECTED = {(PII, f"db.s.{t}.email") for t in ("a", "sa", "r", "t")}


def test_in_end_time_order(tmp_path: Path) -> None:
    config = crawled(tmp_path, sorted(ROWS, key=lambda row: row[0]))
    assert terminals(config) == EXPECTED


@pytest.mark.parametrize("batch_size", [1, 1000])
def test_late_policy_stays_with_its_table(tmp_path: Path, batch_size: int) -> None:
    config = crawled(tmp_path, ROWS, batch_size=batch_size)
    assert terminals(config) == EXPECTED
    run_cli(config, "crawl", "--reset-watermark", "--yes")  # applied again: nothing moves back
    assert terminals(config) == EXPECTED


def test_late_policy_in_a_later_crawl(tmp_path: Path) -> None:
    """The RENAME crawled first; the policy row (earlier END_TIME) appended and read by the next crawl."""
    rows = [row for row in ROWS if "modify column" not in row[2]]
    config = crawled(tmp_path, rows)
    history = tmp_path / "history.jsonl"
    late = [row for row in ROWS if "modify column" in row[2]]
    lines = history_lines(rows + late)
    history.write_text("\n".join(lines) + "\n", encoding="utf-8")
    run_cli(config, "crawl")
    assert terminals(config) == EXPECTED


def test_undrop_in_a_later_crawl(tmp_path: Path) -> None:
    rows = [
        ("09:00", "CREATE_TABLE", "create table db.s.pii (id int, email varchar)"),
        ("09:00:30", "CREATE_MASKING_POLICY", POLICY),
        ("09:01", "CREATE_TABLE_AS_SELECT", "create table db.s.u as select id, email from db.s.pii"),
        ("09:02", "ALTER_TABLE", "alter table db.s.u modify column email set masking policy mp"),
        ("09:03", "DROP", "drop table db.s.u"),
    ]
    config = install(tmp_path, rows)
    run_cli(config, "crawl")
    lines = history_lines(rows + [("09:04", "UNDROP", "undrop table db.s.u")])
    (tmp_path / "history.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    run_cli(config, "crawl")
    assert terminals(config) == set()  # u is back with its policy
