"""Exports in UTF-8 with or without BOM and UTF-16 by its BOM; anything else fails the crawl by name."""

from __future__ import annotations

import codecs
import csv
import io
import json
import sqlite3
from pathlib import Path

import pytest

from lineage_engine.errors import SourceError
from lineage_engine.model import QueryRecord, Watermark
from lineage_engine.sources.file import FileQueryHistorySource
from tests.cli_run import file_config, run_cli
from tests.sources.test_file_source import row

# Text whose UTF-16 code units hold a 0A byte that is not a line feed: U+010A (0A 01 in LE)
# and U+0A00 (0A 00 in BE is U+0A00 itself; 00 0A in BE is the real line feed).
TEXTS = ["insert into a select * from b where c = 'é → Ċ ਀'", "insert into a select 1 /* 日本 */"]

ENCODINGS = {
    "utf-8": lambda t: t.encode("utf-8"),
    "utf-8-bom": lambda t: codecs.BOM_UTF8 + t.encode("utf-8"),
    "utf-16-le": lambda t: codecs.BOM_UTF16_LE + t.encode("utf-16-le"),
    "utf-16-be": lambda t: codecs.BOM_UTF16_BE + t.encode("utf-16-be"),
}


def _jsonl(n: int, start: int = 0) -> str:
    return "".join(json.dumps(row(QUERY_ID=f"q{i}", QUERY_TEXT=TEXTS[i % 2]), ensure_ascii=False) + "\n"
                   for i in range(start, start + n))


def _csv(n: int) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(row()), lineterminator="\n")
    writer.writeheader()
    for i in range(n):
        writer.writerow(row(QUERY_ID=f"q{i}", QUERY_TEXT=TEXTS[i % 2] + "\n-- second line"))
    return buffer.getvalue()


@pytest.mark.parametrize("encoding", list(ENCODINGS))
@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_rows_read_alike_in_every_accepted_encoding(encoding: str, fmt: str, tmp_path: Path) -> None:
    text = _jsonl(4) if fmt == "jsonl" else _csv(4)
    path = tmp_path / f"h.{fmt}"
    path.write_bytes(ENCODINGS[encoding](text))
    items = list(FileQueryHistorySource(path).fetch_records(None))
    assert all(isinstance(i, QueryRecord) for i in items), [getattr(i, "reason", i) for i in items]
    assert [i.query_id for i in items] == ["q0", "q1", "q2", "q3"]
    assert items[0].query_text.startswith(TEXTS[0])
    assert items[0].position == f"h.{fmt}:{2 if fmt == 'csv' else 1}"


@pytest.mark.parametrize("encoding", ["utf-8-bom", "utf-16-le", "utf-16-be"])
def test_position_resumes_after_appended_rows(encoding: str, tmp_path: Path) -> None:
    path = tmp_path / "h.jsonl"
    path.write_bytes(ENCODINGS[encoding](_jsonl(2)))
    source = FileQueryHistorySource(path)
    first = list(source.fetch_records(None))
    mark = Watermark(source.key, first[-1].end_time, first[-1].query_id,
                     position=source.checkpoint(first[-1].cursor))
    codec = "utf-8" if encoding == "utf-8-bom" else encoding
    with path.open("ab") as handle:  # appended rows carry no second BOM
        handle.write(_jsonl(2, start=2).encode(codec))
    assert [i.query_id for i in source.fetch_records(mark)] == ["q2", "q3"]


@pytest.mark.parametrize(("head", "why"), [
    (codecs.BOM_UTF32_LE + "{}\n".encode("utf-32-le"), "UTF-32"),
    ("{}\n".encode("utf-16-le"), "NUL bytes"),
    (b"\x1f\x8b\x08\x00\x00\x00\x00\x00", "NUL bytes"),
])
def test_a_file_in_no_accepted_encoding_fails_by_name(head: bytes, why: str, tmp_path: Path) -> None:
    path = tmp_path / "h.jsonl"
    path.write_bytes(head)
    with pytest.raises(SourceError, match=why) as caught:
        list(FileQueryHistorySource(path).fetch_records(None))
    assert str(path) in str(caught.value) and "UTF-8" in str(caught.value)


def test_crawl_of_a_utf32_export_fails_naming_the_file_and_keeps_the_watermark(tmp_path: Path) -> None:
    history = tmp_path / "history.jsonl"
    history.write_bytes(ENCODINGS["utf-16-le"](_jsonl(3)))
    config = file_config(tmp_path / "cfg", history)
    assert "crawled 3 rows" in run_cli(config, "crawl").stdout
    registry = tmp_path / "cfg" / ".lineage" / "registry.db"
    before = sqlite3.connect(registry).execute("select position, rows_total from crawl_state").fetchall()

    history.write_bytes(codecs.BOM_UTF32_LE + _jsonl(5).encode("utf-32-le"))
    failed = run_cli(config, "crawl", check=False)
    lines = [line for line in failed.stderr.splitlines() if line.startswith("error: ")]
    assert failed.returncode == 1 and len(lines) == 1 and str(history) in lines[0] and "UTF-32" in lines[0]
    assert "Traceback" not in failed.stderr
    assert sqlite3.connect(registry).execute("select position, rows_total from crawl_state").fetchall() == before


def test_reset_watermark_reads_again_from_the_start_and_keeps_the_graph(tmp_path: Path) -> None:
    history = tmp_path / "history.jsonl"
    history.write_bytes(ENCODINGS["utf-8-bom"](_jsonl(3)))
    config = file_config(tmp_path / "cfg", history)
    run_cli(config, "crawl")
    edges = run_cli(config, "export", "edges").stdout
    assert edges.strip()

    refused = run_cli(config, "crawl", "--reset-watermark", check=False, input="n\n")
    assert refused.returncode == 1 and "not confirmed; nothing changed" in refused.stderr
    assert "crawled 0 rows" in run_cli(config, "crawl").stdout

    again = run_cli(config, "crawl", "--reset-watermark", "--yes").stdout
    assert "reading from the start" in again and "crawled 3 rows" in again
    assert run_cli(config, "export", "edges").stdout == edges  # the same graph, nothing doubled
