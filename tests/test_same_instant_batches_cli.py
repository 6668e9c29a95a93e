"""Statements that end at one instant, cut into batches anywhere: one graph (issue 13).

The crawl CREATEs an interval it knows is not stored (its dataset is new, or the interval
starts after the last statement applied to the dataset) and MERGEs the others. Three
statements ending at the same instant, crawled one row per batch (``telemetry.batch_size``
1) and all in one batch, must export the same dataset and column edges: an INSERT opens
``t <- a``, a CREATE OR REPLACE at that instant closes it there (an interval valid at no
instant, stored when the INSERT was in an earlier batch), and a second INSERT at that
instant opens ``t <- a`` again with the same key. Creating it instead of merging it would
store the key twice.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli_run import run_cli

AT = "2026-05-04T10:00:00+00:00"
ROWS = [
    ("09:00", "q01", "CREATE_TABLE", "create table db.s.a (id int, email varchar)"),
    ("09:00", "q02", "CREATE_TABLE", "create table db.s.b (id int, email varchar)"),
    ("10:00", "q03", "CREATE_TABLE", "create table db.s.t (id int, email varchar)"),
    ("10:00", "q04", "INSERT", "insert into db.s.t select id, email from db.s.a"),
    ("10:00", "q05", "CREATE_TABLE_AS_SELECT", "create or replace table db.s.t as select id, email from db.s.b"),
    ("10:00", "q06", "INSERT", "insert into db.s.t select id, email from db.s.a"),
    ("11:00", "q07", "INSERT", "insert into db.s.t select id, email from db.s.a"),
]


def write_history(path: Path) -> Path:
    lines = [json.dumps({"query_id": query_id, "query_text": text, "query_type": query_type,
                         "start_time": f"2026-05-04T{hhmm}:00+00:00", "end_time": f"2026-05-04T{hhmm}:00+00:00",
                         "execution_status": "SUCCESS", "database_name": "DB", "schema_name": "S",
                         "session_id": "7", "user_name": "DBT"})
             for hhmm, query_id, query_type, text in ROWS]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def exported(folder: Path, history: Path, batch_size: int | None) -> tuple[list[str], list[str]]:
    folder.mkdir(parents=True, exist_ok=True)
    batch = "" if batch_size is None else f", batch_size: {batch_size}"
    config = folder / "lineage-engine.config.yaml"
    config.write_text(f"telemetry: {{provider: file, path: '{history}'{batch}}}\n"
                      "graph: {type: embedded, path: .lineage/graph}\n"
                      'compliance: {classification_db: "sqlite:///.lineage/registry.db"}\n'
                      "monitoring: {slack_webhook: ''}\n", encoding="utf-8")
    run_cli(config, "crawl")
    texts = []
    for level in ("dataset", "column"):
        out = folder / f"{level}.jsonl"
        run_cli(config, "export", "edges", "--level", level, "--output", str(out))
        texts.append(sorted(out.read_text(encoding="utf-8").splitlines()))
    return texts[0], texts[1]


def test_statements_at_one_instant_give_one_graph_whatever_the_batch_size(tmp_path: Path) -> None:
    history = write_history(tmp_path / "history.jsonl")
    one_per_batch = exported(tmp_path / "batch-1", history, 1)
    one_batch = exported(tmp_path / "batch-default", history, None)
    assert one_per_batch == one_batch
    edges = [json.loads(line) for line in one_batch[0]]
    t_from_a = [(e["valid_from"], e["valid_to"]) for e in edges if (e["downstream"], e["upstream"]) == ("db.s.t", "db.s.a")]
    assert t_from_a == [(AT, None)]  # one interval, open from 10:00; not the key twice
    columns = [json.loads(line) for line in one_batch[1]]
    email = [(e["valid_from"], e["valid_to"]) for e in columns
             if (e["downstream"], e["upstream"]) == ("db.s.t.email", "db.s.a.email")]
    assert email == [(AT, None)]
