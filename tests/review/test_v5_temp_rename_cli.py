"""A temporary table renamed in its session stays temporary (V5, a false positive), without a
false negative when rows come out of END_TIME order.

``create temporary table tmp …; alter table tmp rename to tmp_b`` gave ``tmp_b`` a REPLACE event
as a persistent table (a rename onto a name outside the temp patterns is how dbt's
``X__dbt_tmp`` tables become ``X``), so ``tmp_b`` was reported as an unmasked copy of the
e-mails. Snowflake keeps a table's type across a rename. A first fix (14c75bc, reverted in
307bbba) lost ``pii -> out`` when the rename row was read after ``out``'s CTAS that ended later
(a file out of order, or a later crawl): ``out`` had read ``tmp_b`` as a persistent table and
the temp-to-temp move added nothing to it. A rename read late is applied as before (a REPLACE of
the new name, so ``tmp_b`` is reported too: a superset), and a row ended before a kept rename
but read after it undoes the keeping.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli_run import run_cli
from tests.review.history import PII_TABLE, Row, crawled, history_lines, install, terminals

PII = "db.s.pii.email"
CREATE = ("09:01", "CREATE_TABLE_AS_SELECT", "create temporary table tmp as select id, email from db.s.pii")
RENAME = ("09:02", "RENAME_TABLE", "alter table tmp rename to tmp_b")
OUT = ("09:03", "CREATE_TABLE_AS_SELECT", "create table db.s.out as select id, email from tmp_b")


def crawled_in_two(folder: Path, first: list[Row], second: list[Row], **options: object) -> Path:
    """Crawl ``first``, append ``second`` to the history file (it grew), crawl again."""
    config = install(folder, first, **options)  # type: ignore[arg-type]
    run_cli(config, "crawl")
    lines = history_lines(first + second)
    with (folder / "history.jsonl").open("a", encoding="utf-8") as handle:
        handle.write("\n".join(lines[len(first):]) + "\n")
    run_cli(config, "crawl")
    return config


@pytest.mark.parametrize("batch_size", [1, 1000])  # the flag is kept in the crawl state between batches
def test_a_renamed_temporary_table_is_no_persistent_copy(tmp_path: Path, batch_size: int) -> None:
    config = crawled(tmp_path, [PII_TABLE, CREATE, RENAME, OUT], batch_size=batch_size)
    assert terminals(config) == {(PII, "db.s.out.email")}  # through the renamed temp, not the temp itself


def test_a_temporary_table_renamed_in_a_later_crawl_stays_temporary(tmp_path: Path) -> None:
    config = crawled_in_two(tmp_path, [PII_TABLE, CREATE], [RENAME, OUT])
    assert terminals(config) == {(PII, "db.s.out.email")}


@pytest.mark.parametrize("batch_size", [1, 1000])
def test_a_rename_read_after_a_later_reader_of_the_new_name_keeps_the_path(tmp_path: Path, batch_size: int) -> None:
    """The rename (09:02) is read after ``out``'s CTAS (09:03), which read ``tmp_b`` as a persistent
    table: the rename is applied as a REPLACE of ``tmp_b`` (``tmp_b`` is reported as well)."""
    config = crawled(tmp_path, [PII_TABLE, CREATE, OUT, RENAME], batch_size=batch_size)
    assert (PII, "db.s.out.email") in terminals(config)


def test_a_rename_read_in_a_later_crawl_than_a_later_reader_keeps_the_path(tmp_path: Path) -> None:
    config = crawled_in_two(tmp_path, [PII_TABLE, CREATE, OUT], [RENAME])
    assert (PII, "db.s.out.email") in terminals(config)


@pytest.mark.parametrize("batch_size", [1, 1000])
def test_a_reader_between_two_renames_read_after_both_keeps_the_path(tmp_path: Path, batch_size: int) -> None:
    """tmp -> tmp_b (09:02) -> tmp_c (09:04); ``out`` read ``tmp_b`` at 09:03 but is read last: it read
    the temp under its name of then, which the renames kept temporary; they are undone."""
    config = crawled(tmp_path, [
        PII_TABLE, CREATE, RENAME,
        ("09:04", "RENAME_TABLE", "alter table tmp_b rename to tmp_c"),
        OUT,
    ], batch_size=batch_size)
    assert (PII, "db.s.out.email") in terminals(config)


def test_a_reader_between_two_renames_in_a_later_crawl_keeps_the_path(tmp_path: Path) -> None:
    again = ("09:04", "RENAME_TABLE", "alter table tmp_b rename to tmp_c")
    config = crawled_in_two(tmp_path, [PII_TABLE, CREATE, RENAME, again], [OUT])
    assert (PII, "db.s.out.email") in terminals(config)


@pytest.mark.parametrize("batch_size", [1, 1000])
def test_a_late_write_to_the_new_name_before_the_rename_keeps_later_readers(tmp_path: Path, batch_size: int) -> None:
    """A persistent ``tmp_b`` made (from other data) and dropped before the rename, its rows read
    after it: they wrote the persistent table, not the temp, and ``later`` (09:06, read after the
    drop) still reads the renamed temp's e-mails."""
    config = crawled(tmp_path, [
        PII_TABLE, CREATE, RENAME,
        ("09:05", "CREATE_TABLE_AS_SELECT", "create table db.s.out as select id, email from tmp_b"),
        ("09:01:20", "CREATE_TABLE_AS_SELECT", "create table db.s.tmp_b as select id, email from db.s.other"),
        ("09:01:50", "DROP_TABLE", "drop table db.s.tmp_b"),
        ("09:06", "CREATE_TABLE_AS_SELECT", "create table db.s.later as select id, email from tmp_b"),
    ], batch_size=batch_size)
    found = terminals(config)
    assert {(PII, "db.s.out.email"), (PII, "db.s.later.email")} <= found, found


@pytest.mark.parametrize("temporary", ["", "temporary "])
def test_a_dbt_tmp_table_renamed_still_becomes_the_model(tmp_path: Path, temporary: str) -> None:
    config = crawled(tmp_path, [
        PII_TABLE,
        ("09:01", "CREATE_TABLE_AS_SELECT",
         f"create {temporary}table db.s.model__dbt_tmp as select id, email from db.s.pii"),
        ("09:02", "RENAME_TABLE", "alter table db.s.model__dbt_tmp rename to db.s.model"),
    ])
    assert terminals(config) == {(PII, "db.s.model.email")}
