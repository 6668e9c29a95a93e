"""``GET @stage file://...`` downloads the stage's files: its user read what the stage holds.

Snowflake ("GET"): downloads data files from an internal stage to a directory on the client. A
copy of e-mails unloaded to ``@db.s.stg`` and then fetched with GET left the warehouse to that
user's machine, yet ``access`` did not list the user (GET rows were skipped as not
materializing and never read), nor did drift name a new reader.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli_run import run_cli
from tests.review.history import crawled


def test_get_of_a_stage_holding_pii_is_a_read(tmp_path: Path) -> None:
    rows = [
        ("09:00", "CREATE_TABLE", "create table db.s.pii (id int, email varchar)"),
        ("09:01", "UNLOAD", "copy into @db.s.stg/out/ from (select email from db.s.pii)"),
        ("09:02", "GET_FILES", "get @db.s.stg/out/ file:///tmp/out/",
         {"user_name": "DOWNLOADER", "role_name": "ANALYST", "session_id": "9"}),
        ("09:03", "GET_FILES", "get '@db.s.other/x y/' file:///tmp/out/ parallel = 4",
         {"user_name": "ELSEWHERE", "role_name": "ANALYST", "session_id": "9"}),
    ]
    config = crawled(tmp_path, rows)
    found = json.loads(run_cli(config, "access", "--origin", "db.s.pii.email", "--format", "json").stdout)
    assert {(r["principal"], r["read"]) for r in found} == {
        ("DBT", "db.s.pii.email"), ("DOWNLOADER", "@db.s.stg.email")}
    drift = json.loads(run_cli(config, "drift", "--since", "2026-05-04", "--format", "json").stdout)
    assert any(d["kind"] == "new_reader" and d["new"] == "DOWNLOADER" for d in drift), drift
