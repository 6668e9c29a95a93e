"""A command that only reads never creates the registry (review F9).

``trace`` run where no registry existed left an empty ``registry.db`` behind: the SQLite engine
created the file (and its folders) on open, before the read failed on the missing tables. Every
read-only command now opens the SQLite registry read-only: a missing file is said so (``trace``:
its "not seen: unknown" line, exit 0; the others: one line, exit 1) and nothing is created; on an
existing registry a read leaves the folder as it found it (no ``-wal``/``-shm`` left behind).
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli_run import run_cli
from tests.web_server import running_server

READS = [
    ("findings",),
    ("findings", "--status", "open", "--format", "json"),
    ("findings", "show", "1"),
    ("findings", "verify"),
    ("quarantine",),
    ("registry", "list"),
    ("drift", "--since", "2026-11-01"),
    ("egress",),
    ("boundaries",),
    ("grants", "--object", "prod_db.raw.customer_profiles"),
    ("access", "--principal", "DS_ALICE"),
    ("scan", "--as-of", "2026-12-01"),
    ("evidence", "--as-of", "2026-12-01", "--out", "pack"),
]
TRACE = ("trace", "downstream_of", "-p", "dataset=prod_db.raw.customer_profiles")


def _files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_reads_without_a_registry_say_so_and_create_none(sample_copy: Path) -> None:
    lineage = sample_copy.parent / ".lineage"
    for path in lineage.glob("registry.db*"):
        path.unlink()
    before = _files(lineage)
    registry = lineage / "registry.db"

    table = run_cli(sample_copy, *TRACE)  # the graph's answer, and honestly what it could not see
    assert "prod_db.raw.customer_profiles" in table.stdout
    assert f"not seen: unknown: no registry was found at {registry}" in table.stdout.replace("\n", " "), table.stdout
    as_json = run_cli(sample_copy, *TRACE, "--format", "json")
    assert json.loads(as_json.stdout) and "no registry was found" in as_json.stderr
    assert _files(lineage) == before

    for args in READS:
        result = run_cli(sample_copy, *args, check=False)
        lines = result.stderr.strip().splitlines()
        assert result.returncode == 1 and len(lines) == 1, (args, result.stdout, result.stderr)
        assert f"no registry file at {registry} (nothing was created)" in lines[0], (args, lines)
        assert "lineage-engine migrate" in lines[0] and "Traceback" not in result.stderr
        assert _files(lineage) == before, args
    assert not (sample_copy.parent / "pack").exists()

    with running_server(sample_copy) as web:  # serve reads per request: 503 naming it, nothing created
        status, body = web.json("/api/findings")
        assert status == 503 and "no registry file at" in body["detail"], body
    assert _files(lineage) == before


def test_reads_of_an_existing_registry_leave_its_folder_as_it_was(sample_copy: Path) -> None:
    lineage = sample_copy.parent / ".lineage"
    run_cli(sample_copy, "findings")  # a first open settles the files SQLite keeps beside the registry
    before = _files(lineage)
    assert "registry.db" in before
    for args in (TRACE, ("findings", "--status", "accepted"), ("quarantine",), ("scan", "--as-of", "2026-12-01")):
        run_cli(sample_copy, *args)
        assert _files(lineage) == before, args


def test_a_reader_who_may_not_write_the_registry_folder_is_told_so(sample_copy: Path) -> None:
    """Review s14 R19: a WAL-mode SQLite registry can only be read by a user who may create its
    ``-shm``/``-wal`` files; such a reader was told to check a database server. The message now names
    the folder and what to do, in one line, exit 1, and the registry is untouched."""
    import os
    import shutil
    import subprocess

    from tests.cli_run import COMMAND, environment

    lineage = sample_copy.parent / ".lineage"
    run_cli(sample_copy, "findings")  # the registry exists, in WAL mode, no -wal/-shm left
    registry = lineage / "registry.db"
    before = registry.read_bytes()
    prefix: list[str] = []
    if os.geteuid() == 0:  # root writes anything: drop its capabilities, as a plain user
        setpriv = shutil.which("setpriv")
        assert setpriv, "setpriv (util-linux) is needed to run this test as root"
        prefix = [setpriv, "--inh-caps=-all", "--bounding-set=-all"]
    registry.chmod(0o444)
    lineage.chmod(0o555)
    try:
        result = subprocess.run([*prefix, COMMAND, "--config", str(sample_copy), "findings"], cwd=sample_copy.parent,
                                capture_output=True, text=True, timeout=120, env=environment())
    finally:
        lineage.chmod(0o755)
        registry.chmod(0o644)
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 1 and len(lines) == 1, (result.stdout, result.stderr)
    assert f"must be able to write the SQLite file and its folder {lineage}" in lines[0], lines
    assert "database server" not in lines[0] and "Traceback" not in result.stderr
    assert registry.read_bytes() == before
