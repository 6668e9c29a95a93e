"""Issue 11 point 6 through the CLI: the registry and the embedded graph are owner-only."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

from tests.cli_run import file_config, run_cli
from tests.faults.test_bad_rows_cli import row, write_jsonl


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_stores_are_created_owner_only_whatever_the_umask(tmp_path: Path) -> None:
    history = write_jsonl(tmp_path / "history.jsonl", [row(0, "create table db.s.a as select * from db.s.src")])
    config = file_config(tmp_path / "cfg", history)
    previous = os.umask(0)  # the most permissive umask; the CLI inherits it
    try:
        result = run_cli(config, "crawl")
    finally:
        os.umask(previous)
    store = config.parent / ".lineage"
    assert mode(store) == 0o700
    assert mode(store / "registry.db") == 0o600 and mode(store / "graph") == 0o600
    assert "other users" not in result.stderr
    # The registry runs in WAL mode: its -wal/-shm files, when present, are owner-only too.
    assert all(mode(path) == 0o600 for path in store.iterdir() if path.is_file()), sorted(
        (path.name, oct(mode(path))) for path in store.iterdir())


def test_the_sqlite_registry_is_in_wal_mode_and_the_next_command_sees_every_commit(tmp_path: Path) -> None:
    history = write_jsonl(tmp_path / "history.jsonl", [row(0, "create table db.s.a as select * from db.s.src")])
    config = file_config(tmp_path / "cfg", history)
    run_cli(config, "crawl")
    store = config.parent / ".lineage"
    with sqlite3.connect(store / "registry.db") as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert "db.s.a" in run_cli(config, "export", "edges").stdout
    assert "db.s.src" in run_cli(config, "export", "edges").stdout


def test_an_existing_store_open_to_others_gets_a_warning_naming_it(tmp_path: Path) -> None:
    history = write_jsonl(tmp_path / "history.jsonl", [row(0, "create table db.s.a as select * from db.s.src")])
    config = file_config(tmp_path / "cfg", history)
    run_cli(config, "crawl")
    store = config.parent / ".lineage"
    os.chmod(store, 0o755)
    os.chmod(store / "registry.db", 0o644)
    result = run_cli(config, "crawl")
    assert f"registry file {store / 'registry.db'} can be read by other users (mode 0644)" in result.stderr
    assert f"embedded graph folder {store} can be read by other users (mode 0755)" in result.stderr
    assert mode(store / "registry.db") == 0o644  # warned, never changed behind the owner's back
