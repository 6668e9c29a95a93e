"""A registry one migration behind the installed version: every command says to run ``migrate``.

Upgrading the package without ``lineage-engine migrate`` left a SQLite registry without a
column the new version reads; ``scan`` then failed with "check that the database server is
running and reachable", a connection hint (and a transient error, retried by the scheduler)
for a schema that only needed upgrading.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.cli_run import file_config, run_cli


def test_a_registry_behind_the_code_says_run_migrate(tmp_path: Path) -> None:
    history = tmp_path / "history.jsonl"
    history.write_text("", encoding="utf-8")
    config = file_config(tmp_path, history)
    run_cli(config, "migrate")
    registry = next(tmp_path.rglob("registry.db"))
    with sqlite3.connect(registry) as connection:
        connection.execute("ALTER TABLE findings DROP COLUMN digest")
    result = run_cli(config, "findings", check=False)
    assert result.returncode != 0
    assert "run 'lineage-engine migrate'" in result.stderr and "Traceback" not in result.stderr
    assert "database server is running" not in result.stderr
