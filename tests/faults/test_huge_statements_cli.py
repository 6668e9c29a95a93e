"""Issue 11 point 8 through the CLI: huge statements never hold a crawl."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.cli_run import file_config, run_cli
from tests.faults.test_bad_rows_cli import pairs, row, write_jsonl


def quarantined(config: Path) -> dict[str, tuple[str, str]]:
    with sqlite3.connect(config.parent / ".lineage" / "registry.db") as db:
        return {q: (code, reason) for q, code, reason in db.execute("select query_id, reason_code, reason from quarantine")}


def in_list(values: int) -> str:
    return "create table db.s.big as select * from db.s.src where id in (" + ",".join(map(str, range(values))) + ")"


def test_a_statement_over_max_statement_chars_is_quarantined_as_too_large_unparsed(tmp_path: Path) -> None:
    huge = in_list(200_000)
    assert len(huge) > 1_000_000  # over the default telemetry.max_statement_chars
    history = write_jsonl(tmp_path / "history.jsonl", [
        row(0, "create table db.s.a as select * from db.s.src"), row(1, huge),
        row(2, "create table db.s.b as select * from db.s.a")])
    config = file_config(tmp_path / "cfg", history)
    out = run_cli(config, "crawl").stdout
    assert "quarantined: 1 this crawl" in out
    code, reason = quarantined(config)["q1"]
    assert code == "too_large" and f"{len(huge):,} characters" in reason and "telemetry.max_statement_chars" in reason
    assert pairs(config) == {("db.s.a", "db.s.src"), ("db.s.b", "db.s.a")}


@pytest.mark.parametrize("workers", [1, 2])
def test_a_statement_parsing_past_its_budget_is_quarantined_as_timeout(tmp_path: Path, workers: int) -> None:
    # 1,000,000 values (7 MB) parse for several seconds even on a fast idle core (150,000 once took
    # under 0.5 s there); a 0.5 s budget stops them. The size limit is raised to let them be parsed.
    small = [row(n, f"create table db.s.t{n} as select * from db.s.src") for n in range(40)]  # enough for the pool
    history = write_jsonl(tmp_path / "history.jsonl", [*small[:20], row(99, in_list(1_000_000)), *small[20:]])
    config = file_config(tmp_path / "cfg", history)
    config.write_text(config.read_text().replace(
        "batch_size: 1000}", "batch_size: 1000, parse_timeout_seconds: 0.5, max_statement_chars: 20000000, "
                             f"parse_workers: {workers}}}"))
    out = run_cli(config, "crawl", timeout=300).stdout
    assert "crawled 41 rows" in out and "quarantined: 1 this crawl" in out
    code, reason = quarantined(config)["q99"]
    assert code == "timeout" and "longer than 0.5 s" in reason and "telemetry.parse_timeout_seconds" in reason
    assert pairs(config) == {(f"db.s.t{n}", "db.s.src") for n in range(40)}
