"""Findings explain themselves and are triaged, through the installed command (issue 10 §6-7).

A small history run by two users: the e-mail is copied through a staging table (later
dropped) into an export. The finding names the statement that put the e-mail into the
export (query id, user, role, time) and every hop with its transform; the alert carries the
same. ``findings accept`` silences it, ``findings reopen`` alerts again, every change is an
event shown by ``findings show``, and ``findings verify`` names an event edited in SQLite.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from tests.cli_run import file_config, run_cli

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
ROWS = [  # (query_id, user, role, query_type, text)
    ("q0", "ADMIN", "SYSADMIN", "CREATE_TABLE", "create table db.s.customers (id int, email varchar)"),
    ("q1", "ETL", "LOADER", "CREATE_TABLE_AS_SELECT", "create table db.s.stage as select id, email from db.s.customers"),
    ("q2", "ANALYST_7", "REPORTING", "CREATE_TABLE_AS_SELECT",
     "create table db.s.export as select id, lower(email) as contact from db.s.stage"),
    ("q3", "ETL", "LOADER", "DROP", "drop table db.s.stage"),
]
REGISTRY = """assets:
  - catalog_path: DB.S.CUSTOMERS.EMAIL
    classification: restricted
    regulatory_tags: [pii]
    steward: dpo@example.com
"""


def write_history(path: Path) -> Path:
    lines = []
    for n, (query_id, user, role, query_type, text) in enumerate(ROWS):
        end = (T0 + timedelta(minutes=n)).isoformat()
        lines.append(json.dumps({"query_id": query_id, "query_text": text, "query_type": query_type,
                                 "start_time": end, "end_time": end, "execution_status": "SUCCESS",
                                 "database_name": "DB", "schema_name": "S", "session_id": "7",
                                 "user_name": user, "role_name": role}))
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One crawled and scanned installation; the tests below run in file order on it."""
    tmp_path = tmp_path_factory.mktemp("triage")
    config = file_config(tmp_path, write_history(tmp_path / "history.jsonl"))
    (tmp_path / "registry.yaml").write_text(REGISTRY)
    run_cli(config, "migrate")
    run_cli(config, "registry", "import", str(tmp_path / "registry.yaml"))
    run_cli(config, "crawl")
    out = run_cli(config, "scan").stdout
    assert "1 opened" in out
    return config


def outbox(config: Path) -> list[dict[str, object]]:
    with sqlite3.connect(config.parent / ".lineage" / "registry.db") as conn:
        return [json.loads(p) for (p,) in conn.execute("select payload from alert_outbox order by id")]


def show(config: Path, finding_id: int = 1) -> dict[str, object]:
    return json.loads(run_cli(config, "findings", "show", str(finding_id), "--format", "json").stdout)


def test_a_finding_names_its_statement_and_hops_and_the_alert_carries_them(scanned: Path) -> None:
    finding = show(scanned)
    assert (finding["status"], finding["level"], finding["terminal"], finding["path"]) == (
        "open", "column", "db.s.export.contact", ["db.s.customers.email", "db.s.stage.email", "db.s.export.contact"])
    assert finding["opened_by"] == {"query_id": "q2", "query_type": "CREATE_TABLE_AS_SELECT", "user": "ANALYST_7",
                                    "role": "REPORTING", "at": "2026-03-02T09:02:00+00:00"}
    assert [(e["upstream"], e["downstream"], e["level"], e["transform"], e["query_id"], e["user"], e["role"])
            for e in finding["edges"]] == [
        ("db.s.customers.email", "db.s.stage.email", "column", "identity", "q1", "ETL", "LOADER"),
        ("db.s.stage.email", "db.s.export.contact", "column", "expression", "q2", "ANALYST_7", "REPORTING"),
    ]
    [alert] = outbox(scanned)
    assert alert["event"] == "opened" and alert["opened_by"] == finding["opened_by"]
    assert [e["query_id"] for e in alert["edges"]] == ["q1", "q2"]  # type: ignore[union-attr]
    table = run_cli(scanned, "findings", "show", "1").stdout
    assert "q2 (CREATE_TABLE_AS_SELECT, by ANALYST_7 as REPORTING" in table
    listed = json.loads(run_cli(scanned, "findings", "--format", "json").stdout)
    assert listed[0]["opened_by"]["user"] == "ANALYST_7"


def test_triage_mistakes_exit_2_with_one_line(scanned: Path) -> None:
    for args, words in ((("findings", "reopen", "1"), "not accepted"),
                        (("findings", "accept", "7", "--reason", "x"), "closest ids: 1"),
                        (("findings", "accept", "1", "--reason", "x", "--until", "2020-01-01"), "not in the future"),
                        (("findings", "accept", "1", "--reason", "x", "--until", "soon"), "--until"),
                        (("findings", "show", "9"), "no such finding")):
        result = run_cli(scanned, *args, check=False)
        assert result.returncode == 2 and words in result.stderr and "Traceback" not in result.stderr, args


def test_accept_silences_reopen_alerts_and_every_change_is_an_event(scanned: Path) -> None:
    accepted = run_cli(scanned, "findings", "accept", "1", "--reason", "export is deleted nightly",
                       "--until", "2099-12-31", "--by", "alice")
    assert "accepted by alice until 2100-01-01T00:00:00+00:00" in accepted.stdout
    assert json.loads(run_cli(scanned, "findings", "--status", "accepted", "--format", "json").stdout)[0]["id"] == 1
    run_cli(scanned, "scan")
    assert [a["event"] for a in outbox(scanned)] == ["opened"]  # not alerted while accepted
    run_cli(scanned, "findings", "reopen", "1", "--reason", "not deleted after all")  # by the OS user
    run_cli(scanned, "scan")
    assert [a["event"] for a in outbox(scanned)] == ["opened", "reopened"]  # once
    events = show(scanned)["events"]
    assert [(e["event"], e["why"]) for e in events] == [  # type: ignore[union-attr]
        ("opened", ""), ("alerted", ""), ("accepted", "export is deleted nightly"),
        ("reopened", "not deleted after all"), ("alerted", "")]
    assert events[2]["by"] == "alice" and events[3]["by"] not in ("alice", "lineage-engine scan")  # type: ignore[index]
    assert "event log intact: 5 events" in run_cli(scanned, "findings", "verify").stdout


def test_verify_names_an_edited_a_deleted_and_a_cut_off_event(scanned: Path) -> None:
    """Last: it tampers with the registry file the way someone with write access could."""
    db = scanned.parent / ".lineage" / "registry.db"
    head = json.loads(run_cli(scanned, "findings", "verify", "--format", "json").stdout)
    assert head["ok"] and head["events"] == 5 and len(head["head"]["hash"]) == 64
    expect = f"{head['head']['event_id']}:{head['head']['hash']}"
    assert f"head event {head['head']['event_id']} sha256 {head['head']['hash']}" in run_cli(
        scanned, "findings", "verify").stdout

    def verify(*extra: str) -> tuple[int, str]:
        result = run_cli(scanned, "findings", "verify", *extra, check=False)
        assert "Traceback" not in result.stderr
        return result.returncode, result.stderr

    with sqlite3.connect(db) as conn:  # an edited event
        accepted = conn.execute("select * from finding_events where event = 'accepted'").fetchone()
        conn.execute("update finding_events set actor = 'bob' where id = ?", (accepted[0],))
    code, err = verify()
    assert code == 1 and f"event {accepted[0]} (finding 1) does not match" in err and "edited" in err
    with sqlite3.connect(db) as conn:  # put it back: intact again
        conn.execute("update finding_events set actor = ? where id = ?", (accepted[4], accepted[0]))
    assert verify()[0] == 0

    with sqlite3.connect(db) as conn:  # a deleted event: the one after it is named
        conn.execute("delete from finding_events where id = ?", (accepted[0],))
    code, err = verify()
    assert code == 1 and f"event {accepted[0] + 1} (finding 1) does not match" in err and "removed" in err
    assert f"ids {accepted[0]}..{accepted[0]} are absent" in err
    with sqlite3.connect(db) as conn:
        conn.execute(f"insert into finding_events values ({', '.join('?' * len(accepted))})", accepted)
    assert verify("--expect-head", expect)[0] == 0

    with sqlite3.connect(db) as conn:  # the last event cut off: only a kept head shows it
        conn.execute("delete from finding_events where id = ?", (head["head"]["event_id"],))
    assert verify()[0] == 0
    code, err = verify("--expect-head", expect)
    assert code == 1 and f"event {head['head']['event_id']} does not match" in err and "cut off" in err
    code, err = verify("--expect-head", "12:nothex")
    assert code == 2 and "--expect-head" in err
