"""A classified table renamed or swapped away: its content, and so the origin, follows the name.

Companion of tests/review/test_s11_origin_rename_swap_cli.py (review finding T6): schema
renames, chains of renames, ``scan --as-of`` before the move, and ``access`` over the new
name, all through the installed ``lineage-engine`` command.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli_run import run_cli
from tests.review.history import crawled, terminals

PII = "db.s.pii.email"


def _datasets(pairs: set[tuple[str, str]]) -> set[str]:
    return {t if t.count(".") == 2 else t.rsplit(".", 1)[0] for _, t in pairs}


def test_a_chain_of_renames_and_a_schema_rename_carry_the_origin(tmp_path: Path) -> None:
    config = crawled(tmp_path, [
        ("09:00", "CREATE_TABLE", "create table db.s.pii (id int, email varchar)"),
        ("09:01", "RENAME_TABLE", "alter table db.s.pii rename to db.s.pii_bak"),
        ("09:02", "RENAME_TABLE", "alter table db.s.pii_bak rename to db.s.pii_old"),
        ("09:03", "ALTER", "alter schema db.s rename to db.archive"),
        ("09:04", "CREATE_TABLE_AS_SELECT", "create table db.t.c as select id, email from db.archive.pii_old"),
    ])
    pairs = terminals(config)
    assert "db.t.c" in _datasets(pairs)
    # the path starts at the carried name, a copy of the classified asset
    assert ("db.archive.pii_old.email", "db.t.c.email") in pairs
    # before the schema rename the content was at db.s.pii_old, not yet under db.archive
    early = terminals(config, "--as-of", "2026-05-04T09:02:30+00:00")
    assert not early


def test_scan_as_of_before_the_rename_does_not_carry_the_origin(tmp_path: Path) -> None:
    config = crawled(tmp_path, [
        ("09:00", "CREATE_TABLE", "create table db.s.pii (id int, email varchar)"),
        ("09:01", "CREATE_TABLE", "create table db.s.other (id int, email varchar)"),
        ("09:02", "CREATE_TABLE_AS_SELECT", "create table db.s.c_before as select id, email from db.s.other"),
        ("09:05", "ALTER", "alter table db.s.other swap with db.s.pii"),
        ("09:06", "CREATE_TABLE_AS_SELECT", "create table db.s.c_after as select id, email from db.s.other"),
    ])
    now = _datasets(terminals(config))
    assert "db.s.c_after" in now
    before = _datasets(terminals(config, "--as-of", "2026-05-04T09:03:00+00:00"))
    assert not before  # db.s.other was not the origin's content before the swap


def test_access_lists_reads_of_the_renamed_origin(tmp_path: Path) -> None:
    config = crawled(tmp_path, [
        ("09:00", "CREATE_TABLE", "create table db.s.pii (id int, email varchar)"),
        ("09:01", "RENAME_TABLE", "alter table db.s.pii rename to db.s.pii_bak"),
        ("09:02", "SELECT", "select email from db.s.pii_bak",
         {"user_name": "ALICE", "role_name": "ANALYST", "session_id": "9"}),
    ])
    found = json.loads(run_cli(config, "access", "--principal", "ALICE", "--format", "json").stdout)
    assert "db.s.pii_bak.email" in {r["read"] for r in found}, found
