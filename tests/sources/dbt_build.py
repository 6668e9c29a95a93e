"""Build the small dbt project in ``tests/sources/dbt_project`` with the real ``dbt-core`` + ``dbt-duckdb``.

:func:`build_runs` runs, in a fresh copy of the project, ``dbt build`` (seed, the ``raw.customers``
source made by an ``on-run-start`` hook, a view, an ephemeral model, tables, an incremental
model, a snapshot and one model that fails at run time), then ``dbt docs generate
--no-write-json`` (the catalog, keeping the build's run_results.json), and keeps those
artifacts as run 1; then ``dbt run`` (a second invocation: the incremental model runs
incrementally) and keeps its artifacts as run 2.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import in_ci

PROJECT = Path(__file__).resolve().parent / "dbt_project"
DBT = Path(sys.executable).parent / "dbt"
ARTIFACTS = ("manifest.json", "run_results.json", "catalog.json")
DBT_TIMEOUT = 600  # a hang guard only: the build takes seconds


def dbt(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the venv's ``dbt`` in ``project`` (profiles there, no anonymous usage statistics)."""
    env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "DO_NOT_TRACK": "1",
           "SHOP_DUCKDB": str(project / "shop.duckdb")}
    return subprocess.run([str(DBT), *args, "--profiles-dir", str(project), "--project-dir", str(project)],
                          cwd=project, env=env, capture_output=True, text=True, timeout=DBT_TIMEOUT)


def keep(project: Path, into: Path) -> Path:
    """Copy the artifacts of ``project/target`` into ``into``; return it."""
    into.mkdir(parents=True, exist_ok=True)
    for name in ARTIFACTS:
        if (project / "target" / name).exists():
            shutil.copy(project / "target" / name, into / name)
    return into


def build_runs(base: Path) -> tuple[Path, Path]:
    """Build the project twice under ``base``; return the folders of run 1 and run 2 artifacts."""
    if not DBT.exists():
        message = f"dbt is not installed next to {sys.executable} (pip install -e '.[test]')"
        if in_ci():
            pytest.fail(f"CI=true and {message}", pytrace=False)
        pytest.skip(message)
    project = base / "project"
    shutil.copytree(PROJECT, project, ignore=shutil.ignore_patterns("target", "logs", "*.duckdb"))
    build = dbt(project, "build")
    assert build.returncode == 1 and "broken_model" in build.stdout, build.stdout[-3000:]  # one model fails
    docs = dbt(project, "docs", "generate", "--no-write-json")
    assert docs.returncode == 0, docs.stdout[-3000:]
    first = keep(project, base / "run1")
    rerun = dbt(project, "run", "--exclude", "broken_model")
    assert rerun.returncode == 0, rerun.stdout[-3000:]
    second = keep(project, base / "run2")
    shutil.copy(first / "catalog.json", second / "catalog.json")
    return first, second
