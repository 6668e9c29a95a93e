"""Small query histories and installations for the review's CLI tests (tests/review/).

Each test writes a JSON Lines history in the ``QUERY_HISTORY`` shape, imports a
classification file, crawls it with the installed ``lineage-engine`` command and reads the
answers of ``scan``, ``findings`` and ``export`` as a user would.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from tests.cli_run import run_cli

EMAIL_PII = "assets:\n  - {catalog_path: DB.S.PII.EMAIL, classification: restricted, regulatory_tags: [pii], steward: dpo}\n"
"""A classification file: ``db.s.pii.email`` is a sensitive origin."""

Row = tuple[str, str, str] | tuple[str, str, str, dict[str, Any]]
"""``(HH:MM[:SS], query_type, text[, fields])``: a statement ending at that time on 2026-05-04
(UTC) in session 7 of user DBT, role TRANSFORMER, defaults DB.S; ``fields`` override columns."""

PII_TABLE: Row = ("09:00", "CREATE_TABLE", "create table db.s.pii (id int, email varchar)")
"""The row that creates ``db.s.pii`` (the origin of :data:`EMAIL_PII`) at 09:00."""


def role_policy(at: str, name: str, role: str, *, test: str = "current_role()", **fields: str) -> Row:
    """Return a row creating masking policy ``name`` that shows clear values to ``role`` only
    (``CASE WHEN <test> IN ('<role>') THEN val ELSE '***' END``); ``fields`` override columns."""
    text = (f"create masking policy {name} as (val string) returns string -> "
            f"case when {test} in ('{role}') then val else '***' end")
    return (at, "CREATE_MASKING_POLICY", text, dict(fields)) if fields else (at, "CREATE_MASKING_POLICY", text)


def history_lines(rows: Sequence[Row]) -> list[str]:
    """Return the JSON Lines of ``rows`` in the given order, query ids ``q000``, ``q001`` ..."""
    lines = []
    for n, row in enumerate(rows):
        hhmm, query_type, text = row[:3]
        end = f"2026-05-04T{hhmm}{':00' if hhmm.count(':') == 1 else ''}+00:00"
        record = {"query_id": f"q{n:03d}", "query_text": text, "query_type": query_type, "start_time": end,
                  "end_time": end, "execution_status": "SUCCESS", "database_name": "DB", "schema_name": "S",
                  "session_id": "7", "user_name": "DBT", "role_name": "TRANSFORMER"}
        if len(row) > 3:
            record.update(row[3])  # type: ignore[misc]
        lines.append(json.dumps(record))
    return lines


def install(folder: Path, rows: Sequence[Row], registry: str = EMAIL_PII, *, batch_size: int = 1000,
            parse_workers: int = 1, telemetry: str = "", extra: str = "",
            graph: Mapping[str, object] | None = None) -> Path:
    """Write the history, a config (file source, embedded graph, SQLite registry) and the
    classification file under ``folder``; run ``migrate`` and ``registry import``. Returns the config.

    ``telemetry``: more ``telemetry`` keys (``"max_statement_chars: 200"``); ``extra``: more YAML;
    ``graph``: the ``graph`` section (default: embedded, in ``folder``; the ``graph_config`` fixture
    gives either backend)."""
    folder.mkdir(parents=True, exist_ok=True)
    history = folder / "history.jsonl"
    history.write_text("\n".join(history_lines(rows)) + "\n", encoding="utf-8")
    (folder / "classifications.yaml").write_text(registry, encoding="utf-8")
    config = folder / "lineage-engine.config.yaml"
    more = ", " + telemetry if telemetry else ""
    config.write_text(
        f"telemetry: {{provider: file, path: '{history}', batch_size: {batch_size}, parse_workers: {parse_workers}{more}}}\n"
        f"graph: {json.dumps(dict(graph)) if graph is not None else '{type: embedded, path: .lineage/graph}'}\n"
        'compliance: {classification_db: "sqlite:///.lineage/registry.db"}\n'
        "monitoring: {slack_webhook: ''}\n" + extra, encoding="utf-8")
    run_cli(config, "migrate")
    run_cli(config, "registry", "import", str(folder / "classifications.yaml"))
    return config


def crawled(folder: Path, rows: Sequence[Row], registry: str = EMAIL_PII, **options: Any) -> Path:
    """:func:`install`, then ``crawl``. Returns the config."""
    config = install(folder, rows, registry, **options)
    run_cli(config, "crawl")
    return config


def scan_paths(config: Path, *args: str) -> list[dict[str, Any]]:
    """Return the rows of ``scan --format json [ARGS]`` (one per exposure path)."""
    return json.loads(run_cli(config, "scan", "--format", "json", *args).stdout)


def terminals(config: Path, *args: str) -> set[tuple[str, str]]:
    """Return the ``(origin, terminal)`` pairs of ``scan --format json [ARGS]``."""
    return {(row["origin"], row["terminal"]) for row in scan_paths(config, *args)}


def findings(config: Path) -> list[dict[str, Any]]:
    """Return the rows of ``findings --format json``."""
    return json.loads(run_cli(config, "findings", "--format", "json").stdout)


def crawled_whole_and_in_pieces(folder: Path, rows: Sequence[Row], **options: Any) -> tuple[Path, Path]:
    """Crawl ``rows`` in one crawl (``folder/whole``) and in two (``folder/pieces``: all but the last row,
    then the last row appended to the file, as a history that grew). Returns both configs."""
    whole = crawled(folder / "whole", rows, **options)
    pieces = crawled(folder / "pieces", rows[:-1], **options)
    with (folder / "pieces" / "history.jsonl").open("a", encoding="utf-8") as handle:
        handle.write(history_lines(rows)[-1] + "\n")
    run_cli(pieces, "crawl")
    return whole, pieces
