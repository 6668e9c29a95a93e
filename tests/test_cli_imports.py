"""Start-up stays light: ``--help``, ``--version`` and ``trace --list`` import no database layer or driver.

Each case runs the real entry point (:func:`lineage_engine.cli.main`) in a fresh interpreter
and lists ``sys.modules`` at exit. Measured with ``python -X importtime`` (see the README's
"Command line"): the registry (SQLAlchemy + Alembic) and the Snowflake connector were most of
the start-up time.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

FORBIDDEN = ("sqlalchemy", "alembic", "snowflake", "neo4j", "ladybug", "real_ladybug", "psycopg", "fakesnow",
             "apscheduler", "slack_sdk", "sqlglot")

PROBE = """
import json, sys
sys.argv = ["lineage-engine", *json.loads(sys.argv[1])]
from lineage_engine.cli import main
try:
    main()
except SystemExit:
    pass
sys.__stderr__.write("MODULES " + json.dumps(sorted(sys.modules)) + "\\n")
"""


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["trace", "--list"], ["lineage", "--help"]])
def test_start_up_imports_no_database_layer_or_driver(args: list[str]) -> None:
    result = subprocess.run([sys.executable, "-c", PROBE, json.dumps(args)], capture_output=True, text=True,
                            timeout=300)
    line = next(line for line in result.stderr.splitlines() if line.startswith("MODULES "))
    loaded = json.loads(line.removeprefix("MODULES "))
    assert result.stdout.strip(), result.stderr
    heavy = sorted(m for m in loaded if m.split(".")[0] in FORBIDDEN)
    assert not heavy, f"'lineage-engine {' '.join(args)}' imported {heavy[:10]}"
