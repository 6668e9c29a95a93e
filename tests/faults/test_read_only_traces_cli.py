"""Issue 11 point 4 through the CLI: a trace may only read, whatever its text."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli_run import export_edges, file_config, run_cli
from tests.faults.test_bad_rows_cli import row, write_jsonl

HEADER = "// A user's trace.\n// returns: id\n"


@pytest.fixture
def crawled(tmp_path: Path) -> Path:
    history = write_jsonl(tmp_path / "history.jsonl", [row(0, "create table db.s.a as select * from db.s.src")])
    config = file_config(tmp_path / "cfg", history)
    run_cli(config, "crawl")
    return config


REFUSED = [
    ("COPY (MATCH (d:Dataset) RETURN d.id) TO '{out}'", "COPY"),
    ("INSTALL httpfs", "INSTALL"),
    ("CHECKPOINT", "CHECKPOINT"),
    ("MATCH (d:Dataset) SET d.kind = 'view' RETURN d.id AS id", "SET"),
    ("MATCH (d:Dataset) DETACH DELETE d", "DETACH"),
    ("CALL threads=1", "CALL threads"),
    ("MATCH (d:Dataset) RETURN d.id AS id; CHECKPOINT", "CHECKPOINT"),
    ("LOAD CSV FROM 'file:///etc/passwd' AS line RETURN line", "LOAD"),
]


def test_a_trace_that_does_more_than_read_is_refused_before_it_runs(crawled: Path, tmp_path: Path) -> None:
    out = tmp_path / "leak.csv"
    before = export_edges(crawled)
    for n, (body, clause) in enumerate(REFUSED):
        trace = tmp_path / f"evil{n}.cypher"
        trace.write_text(HEADER + body.format(out=out) + "\n", encoding="utf-8")
        result = run_cli(crawled, "trace", "--file", str(trace), check=False)
        assert result.returncode == 2, result.stdout + result.stderr
        assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
        assert f"holds {clause}, which is not a read" in result.stderr and str(trace) in result.stderr
    assert not out.exists()
    assert export_edges(crawled) == before


def test_a_reading_trace_file_runs_and_keywords_in_names_strings_and_comments_do_not_count(
        crawled: Path, tmp_path: Path) -> None:
    trace = tmp_path / "mine.cypher"
    trace.write_text(HEADER + "// CREATE nothing, DELETE nothing\n"
                     "MATCH (d:Dataset) WHERE d.id <> 'SET x; CHECKPOINT' AND d.kind <> 'copy'\n"
                     "RETURN d.id AS id ORDER BY id\n", encoding="utf-8")
    result = run_cli(crawled, "trace", "--file", str(trace), "--format", "json")
    assert '"db.s.a"' in result.stdout and '"db.s.src"' in result.stdout
