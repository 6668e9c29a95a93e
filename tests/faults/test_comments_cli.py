"""Issue 11 point 5 through the CLI: comment text (free-text PII) never reaches a stored file."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.cli_run import file_config, run_cli
from tests.faults.test_bad_rows_cli import row, write_jsonl

PII = "jane.doe@example.com"


def stored_files(config: Path) -> list[Path]:
    return [p for p in (config.parent / ".lineage").rglob("*") if p.is_file()]


def test_comments_are_stripped_from_stored_text_and_fingerprints_ignore_them(tmp_path: Path) -> None:
    bad = "create table db.s.b as selec ((( from {c}\n where"
    history = write_jsonl(tmp_path / "history.jsonl", [
        row(0, f"-- customer {PII} asked\ncreate table db.s.a as select * from db.s.src /* call Jane */"),
        row(1, bad.format(c=f"-- customer {PII} asked")),
        row(2, bad.format(c="/* ticket 42: Jane Doe, 555-0100 */")),
    ])
    config = file_config(tmp_path / "cfg", history)
    run_cli(config, "crawl")
    with sqlite3.connect(config.parent / ".lineage" / "registry.db") as db:
        entries = db.execute("select query_id, fingerprint, redacted_text from quarantine order by id").fetchall()
    assert [e[0] for e in entries] == ["q1", "q2"]
    assert entries[0][1] == entries[1][1]  # they differ only in their comments: one fingerprint
    assert {e[2] for e in entries} == {"create table db.s.b as selec ((( from /* … */\n where"}
    listing = run_cli(config, "quarantine").stdout
    for path in stored_files(config):
        data = path.read_bytes()
        assert PII.encode() not in data and b"Jane" not in data and b"555-0100" not in data, path
    assert PII not in listing
