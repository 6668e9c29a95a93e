"""Only a crawl of the configured query-history source from its start settles an old graph's copies, through
the installed CLI (graph/column_rules.py).

A graph crawled before the ``cast`` transform holds its copies demoted to ``cast`` (not typed) until a replay
of the query history gives ``identity`` back to the plain ones, and ``scan`` says so ("not seen: N column
copies crawled before the cast transform …"). ``crawl --path other.jsonl`` (another file, so no watermark:
"from its start") settled the marker too: the note was gone though the history was never replayed, and the
copies stayed demoted without saying so (review s17 leftover). ``crawl --path`` of the configured file
itself is a crawl of the query history and settles it.
"""

from __future__ import annotations

from pathlib import Path

from tests.cli_run import run_cli
from tests.review.history import history_lines, install, terminals
from tests.test_old_graph_casts_cli import CAST_COPY, HISTORY, NOTE, PLAIN_COPY, REGISTRY, _make_old


def _note(config: Path) -> bool:
    return NOTE in " ".join(run_cli(config, "scan").stdout.split())


def test_a_crawl_of_another_file_leaves_the_note(tmp_path: Path) -> None:
    config = install(tmp_path, HISTORY, REGISTRY)
    run_cli(config, "crawl")
    _make_old({"type": "embedded", "path": str(tmp_path / ".lineage" / "graph")})
    assert _note(config)  # `scan` migrates: the copies stored as `cast`
    other = tmp_path / "other.jsonl"
    other.write_text("\n".join(history_lines([("10:00", "CREATE_TABLE", "create table db.s.z (id int)")])) + "\n",
                     encoding="utf-8")
    run_cli(config, "crawl", "--path", str(other))
    assert _note(config)  # before: settled by the other file's crawl, the note gone
    assert {CAST_COPY, PLAIN_COPY} <= terminals(config)
    run_cli(config, "crawl")  # an incremental crawl of the history: not from its start
    assert _note(config)
    run_cli(config, "crawl", "--path", str(tmp_path / "history.jsonl"), "--reset-watermark", "--yes")
    assert not _note(config)
    assert CAST_COPY in terminals(config) and PLAIN_COPY not in terminals(config)
