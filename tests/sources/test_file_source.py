"""The query-history file source: JSON Lines and CSV, quarantine of bad rows, watermark."""

from __future__ import annotations

import csv
import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from lineage_engine.errors import SourceError
from lineage_engine.model import QuarantineEntry, QueryRecord, Watermark
from lineage_engine.sources.base import QueryHistorySource
from lineage_engine.sources.file import FileQueryHistorySource

ROW = {
    "QUERY_ID": "q1", "QUERY_TEXT": "insert into a select * from b", "QUERY_TYPE": "insert",
    "START_TIME": "2026-11-01T10:00:00.000+01:00", "END_TIME": "2026-11-01T10:00:01.500+01:00",
    "EXECUTION_STATUS": "success", "DATABASE_NAME": "DB", "SCHEMA_NAME": "S", "SESSION_ID": 42,
    "USER_NAME": "U", "ROLE_NAME": "R", "WAREHOUSE_NAME": "W", "QUERY_TAG": "",
}


def row(**changes: object) -> dict[str, object]:
    data = dict(ROW)
    data.update(changes)
    return data


def test_jsonl_rows_case_insensitive_and_utc(tmp_path: Path) -> None:
    path = tmp_path / "h.jsonl"
    path.write_text(json.dumps(row()) + "\n" + json.dumps({k.lower(): v for k, v in row(QUERY_ID="q2").items()}) + "\n")
    source = FileQueryHistorySource(path)
    assert isinstance(source, QueryHistorySource)
    records = list(source.fetch_records(None))
    assert [r.query_id for r in records] == ["q1", "q2"]
    first = records[0]
    assert isinstance(first, QueryRecord)
    assert first.end_time == datetime(2026, 11, 1, 9, 0, 1, 500000, tzinfo=timezone.utc)
    assert first.query_type == "INSERT" and first.execution_status == "SUCCESS"
    assert first.session_id == "42" and first.query_tag is None
    assert first.position == "h.jsonl:1"


def test_malformed_rows_are_quarantined_with_line_numbers_and_no_text(tmp_path: Path) -> None:
    path = tmp_path / "h.jsonl"
    secret = "jane.doe@example.com"
    lines = [
        json.dumps(row(QUERY_ID="ok1")).encode(),
        b'{"QUERY_ID": "bad-json", "QUERY_TEXT": "select \'' + secret.encode() + b'\'',
        json.dumps(row(QUERY_ID="no-text", QUERY_TEXT=None)).encode(),
        json.dumps(row(QUERY_ID="bad-ts", END_TIME="yesterday at noon")).encode(),
        json.dumps(row(QUERY_ID="x")).encode().replace(b"insert", b"insert \xff\xfe"),
        b"[1, 2, 3]",
        b"",
        json.dumps(row(QUERY_ID="ok2", QUERY_TEXT=f"select '{secret}'")).encode(),
    ]
    path.write_bytes(b"\n".join(lines) + b"\n")
    items = list(FileQueryHistorySource(path).fetch_records(None))
    good = [i.query_id for i in items if isinstance(i, QueryRecord)]
    bad = [i for i in items if isinstance(i, QuarantineEntry)]
    assert good == ["ok1", "ok2"]
    assert [(q.position, q.reason_code) for q in bad] == [
        ("h.jsonl:2", "malformed_row"), ("h.jsonl:3", "malformed_row"), ("h.jsonl:4", "malformed_row"),
        ("h.jsonl:5", "malformed_row"), ("h.jsonl:6", "malformed_row"),
    ]
    reasons = [q.reason for q in bad]
    assert "not valid JSON" in reasons[0]
    assert reasons[1] == "query_text is missing" and bad[1].query_id == "no-text"
    assert "end_time" in reasons[2] and "not UTF-8" in reasons[3] and "one JSON object" in reasons[4]
    assert all(secret not in f"{q.reason}{q.redacted_text}" for q in bad)


def test_csv_with_multiline_text_and_bad_rows(tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(ROW))
        writer.writeheader()
        writer.writerow(row(QUERY_ID="c1", QUERY_TEXT="insert into a\nselect *\nfrom b"))
        writer.writerow(row(QUERY_ID="c2", END_TIME="not a time"))
        writer.writerow(row(QUERY_ID="c3", START_TIME="2026-11-01 12:00:00", END_TIME="2026-11-01 12:00:05"))
    items = list(FileQueryHistorySource(path).fetch_records(None))
    assert isinstance(items[0], QueryRecord) and items[0].query_text.count("\n") == 2
    assert isinstance(items[1], QuarantineEntry) and items[1].position == "h.csv:5"
    assert isinstance(items[2], QueryRecord)
    assert items[2].end_time == datetime(2026, 11, 1, 12, 0, 5, tzinfo=timezone.utc)  # naive = UTC


def test_watermark_skips_rows_at_or_before_it(tmp_path: Path) -> None:
    path = tmp_path / "h.jsonl"
    rows = [row(QUERY_ID=f"q{i}", END_TIME=f"2026-11-01T10:00:0{i}+00:00") for i in range(5)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    mark = Watermark(source="x", end_time=datetime(2026, 11, 1, 10, 0, 2, tzinfo=timezone.utc), query_id="q2")
    assert [r.query_id for r in FileQueryHistorySource(path).fetch_records(mark)] == ["q3", "q4"]


def test_missing_file_is_a_clear_source_error(tmp_path: Path) -> None:
    with pytest.raises(SourceError) as info:
        list(FileQueryHistorySource(tmp_path / "nope.jsonl").fetch_records(None))
    assert "telemetry.path" in str(info.value)
