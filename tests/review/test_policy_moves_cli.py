"""Masking policies move with their table on RENAME and SWAP, as in Snowflake.

A policy is attached to a table's column, not to its name: after ``ALTER TABLE a SWAP WITH b``
the name ``a`` holds b's columns (and b's policies, none here), so a clear copy swapped into
the name of a masked one is exposed, and the masked copy under its new name is not. Stated
by name only, the scan kept the policy on the old name (a false negative on the clear copy,
a false positive on the masked one). RENAME moves the policy the same way, and a CLONE
copies its source's policies with its columns.
"""

from __future__ import annotations

from pathlib import Path

from tests.review.history import crawled, findings, terminals

PII = "db.s.pii.email"


def test_swap_moves_masking_policies(tmp_path: Path) -> None:
    config = crawled(tmp_path, [
        ("09:00", "CREATE_TABLE", "create table db.s.pii (id int, email varchar)"),
        ("09:01", "CREATE_TABLE_AS_SELECT", "create table db.s.sa as select id, email from db.s.pii"),
        ("09:02", "ALTER_TABLE", "alter table db.s.sa modify column email set masking policy mp"),
        ("09:03", "CREATE_TABLE_AS_SELECT", "create table db.s.sb as select id, email from db.s.pii"),
        ("09:04", "ALTER_TABLE", "alter table db.s.sa swap with db.s.sb"),
    ])
    assert terminals(config) == {(PII, "db.s.sa.email")}  # the clear copy, now named sa
    # before the swap the name sb held the clear copy
    assert terminals(config, "--as-of", "2026-05-04T09:03:30Z") == {(PII, "db.s.sb.email")}
    rows = {row["terminal"]: row["status"] for row in findings(config)}
    assert rows.get("db.s.sa.email") == "open"


def test_rename_moves_masking_policies(tmp_path: Path) -> None:
    config = crawled(tmp_path, [
        ("09:00", "CREATE_TABLE", "create table db.s.pii (id int, email varchar)"),
        ("09:01", "CREATE_TABLE_AS_SELECT", "create table db.s.a as select id, email from db.s.pii"),
        ("09:02", "ALTER_TABLE", "alter table db.s.a modify column email set masking policy mp"),
        ("09:03", "ALTER_TABLE", "alter table db.s.a rename to db.s.b"),
        # the old name made again and filled in clear: no policy on it
        ("09:04", "CREATE_TABLE", "create table db.s.a (id int, email varchar)"),
        ("09:05", "INSERT", "insert into db.s.a select id, email from db.s.pii"),
    ])
    assert terminals(config) == {(PII, "db.s.a.email")}  # db.s.b is the masked table, renamed


def test_rename_in_a_later_batch_and_late(tmp_path: Path) -> None:
    """The same answer with a batch per row, and with the RENAME read after a later row."""
    rows = [
        ("09:00", "CREATE_TABLE", "create table db.s.pii (id int, email varchar)"),
        ("09:01", "CREATE_TABLE_AS_SELECT", "create table db.s.a as select id, email from db.s.pii"),
        ("09:02", "ALTER_TABLE", "alter table db.s.a modify column email set masking policy mp"),
        ("09:05", "CREATE_TABLE_AS_SELECT", "create table db.s.c as select id, email from db.s.pii"),
        ("09:03", "ALTER_TABLE", "alter table db.s.a rename to db.s.b"),
    ]
    for batch_size in (1, 1000):
        config = crawled(tmp_path / str(batch_size), rows, batch_size=batch_size)
        assert terminals(config) == {(PII, "db.s.c.email")}, batch_size


def test_clone_copies_masking_policies(tmp_path: Path) -> None:
    config = crawled(tmp_path, [
        ("09:00", "CREATE_TABLE", "create table db.s.pii (id int, email varchar)"),
        ("09:01", "CREATE_TABLE_AS_SELECT", "create table db.s.a as select id, email from db.s.pii"),
        ("09:02", "ALTER_TABLE", "alter table db.s.a modify column email set masking policy mp"),
        ("09:03", "CREATE_TABLE", "create table db.s.k clone db.s.a"),
    ])
    assert terminals(config) == set()  # a and its clone k are both masked


def test_undrop_brings_policies_back(tmp_path: Path) -> None:
    """UNDROP brings a table back with its policies; one replaced before its drop comes back unmasked."""
    config = crawled(tmp_path, [
        ("09:00", "CREATE_TABLE", "create table db.s.pii (id int, email varchar)"),
        ("09:01", "CREATE_TABLE_AS_SELECT", "create table db.s.t as select id, email from db.s.pii"),
        ("09:02", "ALTER_TABLE", "alter table db.s.t modify column email set masking policy mp"),
        ("09:03", "DROP", "drop table db.s.t"),
        ("09:04", "UNDROP", "undrop table db.s.t"),
        ("09:05", "CREATE_TABLE_AS_SELECT", "create table db.s.u as select id, email from db.s.pii"),
        ("09:06", "ALTER_TABLE", "alter table db.s.u modify column email set masking policy mp"),
        ("09:07", "CREATE_TABLE_AS_SELECT", "create or replace table db.s.u as select id, email from db.s.pii"),
        ("09:08", "DROP", "drop table db.s.u"),
        ("09:09", "UNDROP", "undrop table db.s.u"),
    ])
    assert terminals(config) == {(PII, "db.s.u.email")}
