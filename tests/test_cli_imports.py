"""Start-up stays light: each command imports only what it uses.

``--help``, ``--version`` and ``trace --list`` import no database layer or driver; a command
that reads the registry loads no parser, graph or web stack; a scan loads no parser, no
Alembic (it does not migrate) and no web stack; and so on (:data:`COMMAND_FORBIDS`).

Each case runs the real entry point (:func:`lineage_engine.cli.main`) in a fresh interpreter
and lists ``sys.modules`` at exit: what was imported, never how long it took (no test may
depend on the machine's speed). Measured with ``python -X importtime`` and
``benchmarks/cli_startup.py`` (see the README's "Command line"): the registry (SQLAlchemy +
Alembic), sqlglot's grammar, numpy/pyarrow and the Snowflake connector were most of the
start-up time, paid by every call of the command.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli_run import COMMAND, MODULES_PROBE
from tests.waiting import HANG_SECONDS

FORBIDDEN = ("sqlalchemy", "alembic", "snowflake", "neo4j", "ladybug", "real_ladybug", "psycopg", "fakesnow",
             "apscheduler", "slack_sdk", "sqlglot", "numpy", "pyarrow", "fastapi", "starlette", "uvicorn", "jinja2",
             "openlineage", "prometheus_client", "pydantic_settings")
WEB = ("fastapi", "starlette", "uvicorn", "jinja2")
ELSEWHERE = ("snowflake", "fakesnow", "neo4j", "psycopg", "apscheduler", "openlineage", "prometheus_client", "slack_sdk")
"""Never needed by a command below on an embedded graph, SQLite, no Slack webhook."""
COMMAND_FORBIDS: list[tuple[tuple[str, ...], tuple[str, ...]]] = [
    (("findings",), ("sqlglot", "numpy", "pyarrow", "alembic", "ladybug", "real_ladybug", *WEB, *ELSEWHERE)),
    (("quarantine",), ("sqlglot", "numpy", "pyarrow", "alembic", "ladybug", "real_ladybug", *WEB, *ELSEWHERE)),
    (("registry", "list"), ("sqlglot", "numpy", "pyarrow", "alembic", "ladybug", "real_ladybug", *WEB, *ELSEWHERE)),
    (("export", "edges", "--output", "{folder}/edges.jsonl"), ("sqlglot", "alembic", *WEB, *ELSEWHERE)),
    (("trace", "downstream_of", "-p", "dataset=prod_db.raw.customer_profiles"), ("sqlglot", "alembic", *WEB, *ELSEWHERE)),
    (("scan",), ("sqlglot", "alembic", *WEB, *ELSEWHERE)),
    # a registry already at head is not upgraded again: Alembic's import and run cost 0.3 s of CPU at every
    # crawl (issue 13; registry/migrate.py at_head)
    (("crawl",), ("alembic", *WEB)),
]
"""``(args, top-level packages the command must not import)`` on a copy of the crawled sample."""

PROBE = MODULES_PROBE


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["trace", "--list"], ["lineage", "--help"]])
def test_start_up_imports_no_database_layer_or_driver(args: list[str]) -> None:
    result = subprocess.run([sys.executable, "-c", PROBE, json.dumps(args)], capture_output=True, text=True,
                            timeout=300)
    line = next(line for line in result.stderr.splitlines() if line.startswith("MODULES "))
    loaded = json.loads(line.removeprefix("MODULES "))
    assert result.stdout.strip(), result.stderr
    heavy = sorted(m for m in loaded if m.split(".")[0] in FORBIDDEN)
    assert not heavy, f"'lineage-engine {' '.join(args)}' imported {heavy[:10]}"


@pytest.mark.parametrize(("args", "forbidden"), COMMAND_FORBIDS, ids=[" ".join(args)[:40] for args, _ in COMMAND_FORBIDS])
def test_command_imports_only_what_it_uses(args: tuple[str, ...], forbidden: tuple[str, ...], sample_copy: Path) -> None:
    argv = ["--config", str(sample_copy), *(a.replace("{folder}", str(sample_copy.parent)) for a in args)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINEAGE_ENGINE_") and k != "SLACK_WEBHOOK_URL"}
    result = subprocess.run([sys.executable, "-c", PROBE, json.dumps(argv)], capture_output=True, text=True,
                            timeout=HANG_SECONDS, cwd=sample_copy.parent, env=env)
    line = next((line for line in result.stderr.splitlines() if line.startswith("MODULES ")), None)
    assert result.returncode == 0 and line is not None and "Traceback" not in result.stderr, result.stderr
    loaded = json.loads(line.removeprefix("MODULES "))
    heavy = sorted({m.split(".")[0] for m in loaded} & set(forbidden))
    assert not heavy, f"'lineage-engine {' '.join(args)}' imported {heavy}: import them where they are used"


def test_help_lists_every_command() -> None:
    """Lazy imports must not hide a command: ``--help`` names each command and group of the app."""
    import typer.main

    from lineage_engine.cli import app

    group = typer.main.get_command(app)
    names = sorted(group.commands)  # type: ignore[attr-defined]
    result = subprocess.run([COMMAND, "--help"], capture_output=True, text=True, timeout=HANG_SECONDS,
                            env={**os.environ, "COLUMNS": "200"})
    assert result.returncode == 0, result.stderr
    listed = {match.group(1) for match in re.finditer(r"^│ (\S+)\s", result.stdout, re.MULTILINE)}
    assert len(names) > 10 and set(names) <= listed, f"missing from --help: {sorted(set(names) - listed)}"
