"""A history read again parses nothing twice, exactly (issue 13): stored extraction results.

``crawl --reset-watermark`` reads a source from its start; each statement's extraction result
was stored by the first crawl (``parse_results``, no text) and is used again only while the
crawl's learned columns give the answers it was extracted with and the parser version
(code and extraction options) is the same. Through the installed command: a replay changes
nothing and parses no statement again; a replay followed by new rows (temporary tables and
columns learned before the replay end used after it) gives the graph of one clean crawl; a
result stored under other options is not used; a rewritten file whose new first row defines
columns a stored result did not know is parsed again.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from pathlib import Path

from tests.cli_run import export_edges, file_config, run_cli
from tests.history_file import write_history

T0 = datetime(2026, 3, 1, tzinfo=timezone.utc)

FIRST = [
    ("CREATE_TABLE_AS_SELECT", "create or replace table db.s.wide as select id, email, phone from db.s.src"),
    ("CREATE_TABLE_AS_SELECT", "create temporary table db.s.t__dbt_tmp as select id, sha2(email) as email from db.s.wide"),
    ("INSERT", "insert into db.s.t select * from db.s.t__dbt_tmp"),
    ("SELECT", "select email from db.s.t where id = 5"),
    ("CREATE_TABLE_AS_SELECT", "create temporary table db.s.u__dbt_tmp as select id, phone from db.s.wide where id > 3"),
]
LATER = [  # use what the rows before learned: a temporary table of the session, a table's columns
    ("INSERT", "insert into db.s.u select * from db.s.u__dbt_tmp"),
    ("CREATE_TABLE_AS_SELECT", "create or replace table db.s.copy as select * from db.s.wide"),
]


def _rows(n: int) -> list[tuple[str, str]]:
    """FIRST, then ``n`` more distinct statements (enough for the parse workers to start)."""
    return FIRST + [("INSERT", f"insert into db.s.log{i} select id, email from db.s.t where id > {i}") for i in range(n)]


def _exports(config: Path) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    return ([json.loads(line) for line in export_edges(config).splitlines()],
            [json.loads(line) for line in export_edges(config, "--level", "column").splitlines()])


def _stored(out: str) -> int:
    found = re.search(r"read again: (\d+) statements not parsed", out)
    return int(found.group(1)) if found else 0


def test_a_replay_parses_nothing_again_and_new_rows_after_it_give_one_clean_crawls_graph(tmp_path: Path) -> None:
    first = _rows(60)
    history = write_history(tmp_path / "history.jsonl", first, T0)
    config = file_config(tmp_path / "cfg", history, batch_size=20)
    out = run_cli(config, "crawl").stdout
    assert _stored(out) == 0
    before = _exports(config)
    assert before[0] and before[1]

    again = run_cli(config, "crawl", "--reset-watermark", "--yes").stdout
    assert _stored(again) == len(first)  # every distinct statement, the SELECT too (its result is needed: review s15 Q3)
    assert "0 edges opened" in again and "column edges: 0 opened" in again
    assert _exports(config) == before

    write_history(history, first + LATER, T0)  # rows appended after the replay's end
    run_cli(config, "crawl")
    clean_history = write_history(tmp_path / "clean.jsonl", first + LATER, T0)
    clean = file_config(tmp_path / "clean", clean_history, batch_size=20)
    run_cli(clean, "crawl")
    after, expected = _exports(config), _exports(clean)
    assert after == expected
    pairs = {(e["downstream"], e["upstream"]) for e in after[1]}
    assert ("db.s.u.phone", "db.s.wide.phone") in pairs and ("db.s.copy.phone", "db.s.wide.phone") in pairs


def test_results_stored_under_other_options_are_not_used(tmp_path: Path) -> None:
    history = write_history(tmp_path / "history.jsonl", _rows(40), T0)
    config = file_config(tmp_path / "cfg", history, batch_size=20)
    run_cli(config, "crawl")
    assert not [e for e in _exports(config)[1] if e["kind"] == "INDIRECT"]
    text = config.read_text(encoding="utf-8").replace("batch_size: 20}", "batch_size: 20, store_indirect_column_edges: true}")
    config.write_text(text, encoding="utf-8")
    again = run_cli(config, "crawl", "--reset-watermark", "--yes").stdout
    assert _stored(again) == 0  # the indirect edges are not in the stored results: everything parsed again
    clean = file_config(tmp_path / "clean", history, batch_size=20,
                        extra="")
    clean.write_text(clean.read_text(encoding="utf-8").replace(
        "batch_size: 20}", "batch_size: 20, store_indirect_column_edges: true}"), encoding="utf-8")
    run_cli(clean, "crawl")
    indirect = [e for e in _exports(config)[1] if e["kind"] == "INDIRECT"]
    assert indirect and indirect == [e for e in _exports(clean)[1] if e["kind"] == "INDIRECT"]


def test_a_stored_result_extracted_without_columns_now_known_is_parsed_again(tmp_path: Path) -> None:
    star = ("INSERT", "insert into db.s.out select * from db.s.base")
    history = write_history(tmp_path / "history.jsonl", [star] + _rows(40), T0)
    config = file_config(tmp_path / "cfg", history, batch_size=20)
    run_cli(config, "crawl")
    assert ("db.s.out.email", "db.s.base.email") not in {(e["downstream"], e["upstream"]) for e in _exports(config)[1]}
    # the file is rewritten with a first row that defines base's columns: read again from its start
    rows = [("CREATE_TABLE_AS_SELECT", "create or replace table db.s.base as select id, email from db.s.src"), star,
            *_rows(40)]
    write_history(history, rows, T0)
    again = run_cli(config, "crawl").stdout
    assert _stored(again) > 0
    assert ("db.s.out.email", "db.s.base.email") in {(e["downstream"], e["upstream"]) for e in _exports(config)[1]}
