"""Run the installed ``lineage-engine`` command in a subprocess, as a user would."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

from tests.waiting import HANG_SECONDS

COMMAND = shutil.which("lineage-engine", path=str(Path(sys.executable).parent)) or "lineage-engine"
"""The console script installed next to this interpreter (the venv's ``bin``)."""


MODULES_PROBE = """
import json, sys
sys.argv = ["lineage-engine", *json.loads(sys.argv[1])]
from lineage_engine.cli import main
code = 0
try:
    main()
except SystemExit as exc:
    code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
sys.__stderr__.write("\\nMODULES " + json.dumps(sorted(sys.modules)) + "\\n")
sys.exit(code)
"""
"""Python source (``python -c MODULES_PROBE '["findings"]'``) that runs ``lineage-engine ARGS`` through its
entry point, then writes ``MODULES <json list of sys.modules>`` as the last line of stderr and exits
with the command's exit code: what a command imported (tests/test_cli_imports.py, benchmarks/cli_startup.py)."""


def file_config(folder: Path, history: Path, *, batch_size: int = 1000, extra: str = "") -> Path:
    """Write a config for the file source, embedded graph and SQLite registry under ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "lineage-engine.config.yaml"
    config.write_text(
        f"telemetry: {{provider: file, path: '{history}', batch_size: {batch_size}}}\n"
        "graph: {type: embedded, path: .lineage/graph}\n"
        'compliance: {classification_db: "sqlite:///.lineage/registry.db"}\n'
        "monitoring: {slack_webhook: ''}\n" + extra,
        encoding="utf-8",
    )
    return config


def write_history(path: Path, rows: Sequence[tuple[str, str, str]], at: Callable[[int], datetime]) -> Path:
    """Write ``rows`` of ``(query_type, role, text)`` as a JSON Lines history, row ``n`` ending at
    ``at(n)``, query id ``q<n>``, session 7 of user ETL, defaults DB.S. Returns ``path``."""
    path.write_text("".join(json.dumps({
        "query_id": f"q{n}", "query_text": text, "query_type": kind, "start_time": at(n).isoformat(),
        "end_time": at(n).isoformat(), "execution_status": "SUCCESS", "database_name": "DB", "schema_name": "S",
        "session_id": "7", "user_name": "ETL", "role_name": role}) + "\n" for n, (kind, role, text) in enumerate(rows)))
    return path


def crawl_history(folder: Path, rows: Sequence[tuple[str, str, str]], at: Callable[[int], datetime],
                  registry: str) -> Path:
    """Write ``rows`` (:func:`write_history`) and the classification file ``registry`` (YAML)
    under ``folder``, then ``migrate``, ``registry import`` and ``crawl`` a file-source config
    in ``folder / "work"``. Returns the config."""
    config = file_config(folder / "work", write_history(folder / "history.jsonl", rows, at))
    (folder / "registry.yaml").write_text(registry)
    run_cli(config, "migrate")
    run_cli(config, "registry", "import", str(folder / "registry.yaml"))
    run_cli(config, "crawl")
    return config


def environment(**extra: str) -> dict[str, str]:
    """Return the environment for a CLI run: ours without config or webhook overrides, plus ``extra``."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("LINEAGE_ENGINE_CONFIG", "SLACK_WEBHOOK_URL") and not k.startswith("LINEAGE_ENGINE_")}
    env["COLUMNS"] = "250"
    env.update(extra)
    return env


def run_cli(config: Path, *args: str, check: bool = True, timeout: float = HANG_SECONDS,
            env: dict[str, str] | None = None, input: str = "") -> subprocess.CompletedProcess[str]:  # noqa: A002
    """Run ``lineage-engine --config CONFIG ARGS`` (``input`` on stdin); with ``check`` assert exit code 0."""
    result = subprocess.run([COMMAND, "--config", str(config), *args], cwd=config.parent, capture_output=True,
                            text=True, timeout=timeout, env=env or environment(), input=input)
    if check:
        assert result.returncode == 0, f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result


def export_edges(config: Path, *extra: str) -> str:
    """Return ``export edges`` output (JSON Lines) for the config's graph."""
    out = config.parent / "edges.jsonl"
    run_cli(config, "export", "edges", "--output", str(out), *extra)
    return out.read_text(encoding="utf-8")
