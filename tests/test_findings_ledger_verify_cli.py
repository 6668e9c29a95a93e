"""`findings verify` checks the findings against their event log, not only the log's hash chain.

Found by the review (N3): a finding set to resolved by SQL (or its acceptance extended, its
terminal changed, a row deleted or added) left the chain intact, `findings` showed the forged
state and `findings verify` said "event log intact". Each forgery below is made directly in the
SQLite registry of a copy of the crawled and scanned sample; verify must exit 1 naming the
finding and the field. Untouched, and after a legitimate accept, verify passes.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tests.cli_run import run_cli


def _open(config: Path) -> sqlite3.Connection:
    return sqlite3.connect(config.parent / ".lineage" / "registry.db")


def _open_ids(config: Path) -> list[int]:
    rows = json.loads(run_cli(config, "findings", "--status", "open", "--format", "json").stdout)
    return sorted(int(row["id"]) for row in rows)


FORGERIES = [
    ("status", "update findings set status = 'resolved', resolved_at = opened_at where id = {id}",
     "status is 'resolved' but its events say 'open'"),
    ("terminal", "update findings set terminal = 'db.s.elsewhere.email' where id = {id}",
     "terminal is 'db.s.elsewhere.email'"),
    ("deleted", "delete from findings where id = {id}", "it has events but no row in the findings table"),
    ("added", "insert into findings (id, origin, terminal, severity, status, opened_at, last_seen_at, path, "
     "regulatory_tags, level, exposure, kind, rule) select 9999, origin, terminal || '_x', severity, status, "
     "opened_at, last_seen_at, path, regulatory_tags, level, exposure, kind, rule from findings where id = {id}",
     "finding 9999 does not match its event log: it has no event"),
    ("opened_at", "update findings set opened_at = '2020-01-01 00:00:00.000000' where id = {id}",
     "opened_at is '2020-01-01T00:00:00+00:00'"),
]


@pytest.mark.parametrize(("name", "sql", "says"), FORGERIES, ids=[f[0] for f in FORGERIES])
def test_verify_names_a_finding_edited_outside_lineage_engine(sample_copy: Path, name: str, sql: str,
                                                              says: str) -> None:
    config = sample_copy
    clean = run_cli(config, "findings", "verify")
    assert "findings match their events" in clean.stdout
    victim = _open_ids(config)[0]
    with _open(config) as db:
        db.execute(sql.format(id=victim))
    result = run_cli(config, "findings", "verify", check=False)
    assert result.returncode == 1, result.stdout
    assert says in result.stderr
    if name != "added":
        assert f"finding {victim} does not match its event log" in result.stderr
    assert "the event log itself is intact" in result.stderr
    assert "Traceback" not in result.stderr
    as_json = run_cli(config, "findings", "verify", "--format", "json", check=False)
    assert as_json.returncode == 1
    body = json.loads(as_json.stdout)
    assert body["ok"] is False and body["findings_not_matching"]


def test_an_acceptance_extended_by_sql_is_named_and_a_real_one_is_not(sample_copy: Path) -> None:
    config = sample_copy
    victim = _open_ids(config)[0]
    run_cli(config, "findings", "accept", str(victim), "--reason", "ticket 42: accepted by the CISO",
            "--until", "2099-01-01")
    assert run_cli(config, "findings", "verify").returncode == 0  # a real acceptance matches its event
    with _open(config) as db:
        db.execute("update findings set accepted_until = '2199-01-01 00:00:00.000000' where id = ?", (victim,))
    result = run_cli(config, "findings", "verify", check=False)
    assert result.returncode == 1
    assert f"finding {victim} does not match its event log: accepted_until is '2199-01-01T00:00:00+00:00'" \
        in result.stderr


def test_a_scan_after_accept_and_reopen_still_matches(sample_copy: Path) -> None:
    config = sample_copy
    victim = _open_ids(config)[0]
    run_cli(config, "findings", "accept", str(victim), "--reason", "for a week")
    run_cli(config, "findings", "reopen", str(victim), "--reason", "no longer")
    run_cli(config, "scan")
    result = run_cli(config, "findings", "verify")
    assert "findings match their events" in result.stdout
