"""Issue 3 acceptance: ``lineage-engine run`` against ``fakesnow -s`` with 90 days of history.

One ``fakesnow -s`` server (the real driver over HTTP, ``protocol: http``) holds
``SNOWFLAKE.ACCOUNT_USAGE.QUERY_HISTORY`` built from the solana-models corpus: the first 89
days shifted to end ten minutes ago (the backfill), the last day held back and inserted
while the service runs (two incremental passes). The expected graph is the file-source
crawl of the same rows, with the same timestamps.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from lineage_engine.model import Watermark
from lineage_engine.parsing import MATERIALIZING_QUERY_TYPES
from lineage_engine.registry.repository import Registry
from tests.corpora import corpus
from tests.waiting import HANG_SECONDS, wait_until
from tests.service.fakesnow_history import (
    create_views,
    fakesnow_server,
    free_port,
    load_query_history,
    read_jsonl,
    server_connection,
    shift,
    write_jsonl,
)

CORPUS = corpus("solana-models")
pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore:Arrow output:UserWarning")]
SOURCE_KEY = "snowflake:acme-test"
SECRET = "hunter2-do-not-print"
EXE = str(Path(sys.executable).with_name("lineage-engine"))


READ_TYPES = MATERIALIZING_QUERY_TYPES | {"SELECT", "GRANT", "REVOKE"}
"""What the crawler's SQL asks for by default: materializing types, SELECTs (reads kept as access
facts) and GRANT / REVOKE (grant facts), issue 14."""


def _materializing(rows: list[dict[str, Any]]) -> int:
    """Rows the crawler's SQL returns (and parses): successful, of a type it reads (:data:`READ_TYPES`)."""
    return sum(1 for r in rows if r["execution_status"] == "SUCCESS" and r["query_type"] in READ_TYPES)


def _retime(rows: list[dict[str, Any]], first_end: datetime) -> list[dict[str, Any]]:
    """Keep the rows' order, packed 1 µs apart from ``first_end`` (aware UTC)."""
    out = []
    for i, row in enumerate(rows):
        end = first_end + timedelta(microseconds=i)
        out.append({**row, "start_time": (end - timedelta(milliseconds=5)).isoformat(), "end_time": end.isoformat()})
    return out


@dataclass
class History:
    """The server, the rows loaded so far, and the held-back last day (parts A and B)."""

    port: int
    loaded: list[dict[str, Any]]
    held: list[list[dict[str, Any]]]
    workdir: Path
    _expected: str | None = field(default=None, repr=False)

    def insert_next(self) -> list[dict[str, Any]]:
        """Insert the next held-back part, timed one second from now (after any window yet planned)."""
        part = _retime(self.held.pop(0), datetime.now(timezone.utc) + timedelta(seconds=1))
        conn = server_connection(self.port)
        load_query_history(conn.cursor(), part)
        conn.close()
        self.loaded += part
        self._expected = None
        return part

    def insert_all(self) -> None:
        while self.held:
            self.insert_next()

    def expected_edges(self) -> str:
        """Return ``export edges`` of a file-source crawl of exactly the rows loaded."""
        if self._expected is None:
            folder = self.workdir / f"file-{len(self.loaded)}"
            folder.mkdir()
            history = write_jsonl(folder / "history.jsonl", self.loaded)
            config = _config(folder, f"telemetry: {{provider: file, path: '{history}'}}\n")
            assert _cli(config, "crawl").returncode == 0
            self._expected = _export(config)
        return self._expected


def _config(folder: Path, telemetry: str, extra: str = "") -> Path:
    path = folder / "lineage-engine.config.yaml"
    path.write_text(telemetry + "graph: {type: embedded, path: state/graph}\n"
                    'compliance: {classification_db: "sqlite:///state/registry.db"}\n' + extra)
    return path


def _snowflake_config(folder: Path, port: int, *, interval: int = 2, extra: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    telemetry = ("telemetry: {provider: snowflake, account: acme-test, user: LINEAGE_SVC, password: '${SF_TEST_PASSWORD}', "
                 f"host: 127.0.0.1, port: {port}, protocol: http, warehouse: LINEAGE_WH, lag_minutes: 0, "
                 "login_timeout_seconds: 5}\n")
    return _config(folder, telemetry, "monitoring: {log_format: json, metrics_port: 0}\n"
                   f"scheduler: {{crawl_interval_seconds: {interval}, retry_attempts: 3, retry_backoff_seconds: 0.2}}\n"
                   + extra)


def _env() -> dict[str, str]:
    return {**os.environ, "SF_TEST_PASSWORD": SECRET, "COLUMNS": "200"}


def _cli(config: Path, *args: str, timeout: float = HANG_SECONDS) -> subprocess.CompletedProcess[str]:
    return subprocess.run([EXE, "--config", str(config), *args], capture_output=True, text=True, timeout=timeout,
                          cwd=config.parent, env=_env())


def _export(config: Path) -> str:
    result = _cli(config, "export", "edges")
    assert result.returncode == 0, result.stderr
    return result.stdout


class Service:
    """``lineage-engine run`` as a subprocess, its JSON log lines parsed as they come."""

    started: list[Service] = []

    def __init__(self, config: Path, *args: str) -> None:
        self.log_path = config.parent / f"run-{time.monotonic_ns()}.log"
        self._log = self.log_path.open("w")
        self.proc = subprocess.Popen([EXE, "--config", str(config), "run", *args], stdout=subprocess.DEVNULL,
                                     stderr=self._log, cwd=config.parent, env=_env())
        Service.started.append(self)

    def events(self, name: str | None = None) -> list[dict[str, Any]]:
        lines = [json.loads(line) for line in self.log_path.read_text().splitlines() if line.startswith("{")]
        return [line for line in lines if name is None or line.get("event") == name]

    def progress(self) -> int:
        """Structured events logged so far (the scheduler's own lines do not count: they tick while hung)."""
        return len([e for e in self.events() if "event" in e])

    def wait_for(self, what: str, test: Callable[[list[dict[str, Any]]], Any]) -> Any:
        """Wait while the service makes progress (no wall deadline: a loaded machine is slow, not hung)."""
        return wait_until(lambda: test(self.events()), what=what, progress=self.progress,
                          alive=lambda: self.proc.poll() is None,
                          detail=lambda: f"log tail:\n{self.log_path.read_text()[-3000:]}")

    def wait_exit(self) -> int:
        """Wait for the process to end while it makes progress; return its exit code."""
        wait_until(lambda: self.proc.poll() is not None, what="the service to exit", progress=self.progress,
                   detail=lambda: f"log tail:\n{self.log_path.read_text()[-3000:]}")
        return self.proc.wait()

    def stop(self, sig: int) -> int:
        self.proc.send_signal(sig)
        code = self.wait_exit()
        self._log.close()
        return code


def _crawls(events: list[dict[str, Any]], job: str) -> list[dict[str, Any]]:
    return [e for e in events if e.get("event") == "crawl_finished" and e.get("job") == job]


@pytest.fixture(autouse=True)
def _no_service_left_running() -> Iterator[None]:
    """A failed assertion must not leave a service process behind."""
    yield
    while Service.started:
        service = Service.started.pop()
        if service.proc.poll() is None:
            service.proc.kill()
            service.proc.wait(timeout=30)
        service._log.close()


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Iterator[History]:
    rows = read_jsonl(CORPUS / "query_history.jsonl")
    last_day = rows[-1]["end_time"][:10]
    main = [r for r in rows if r["end_time"][:10] != last_day]
    held = [r for r in rows if r["end_time"][:10] == last_day]
    main = shift(main, datetime.now(timezone.utc) - timedelta(minutes=10) - datetime.fromisoformat(main[-1]["end_time"]))
    with fakesnow_server() as port:
        conn = server_connection(port)
        create_views(conn.cursor())
        load_query_history(conn.cursor(), main)
        conn.close()
        yield History(port=port, loaded=main, held=[held[: len(held) // 2], held[len(held) // 2:]],
                      workdir=tmp_path_factory.mktemp("history"))


def test_run_backfills_then_two_incremental_passes_without_overlap_and_stops_on_sigterm(
    history: History, tmp_path: Path
) -> None:
    if len(history.held) < 2:
        pytest.skip("needs the held-back day still unloaded (run this test first in the module)")
    config = _snowflake_config(tmp_path / "svc", history.port)
    service = Service(config)
    backfill = service.wait_for("the backfill", lambda ev: _crawls(ev, "backfill"))[0]
    assert backfill["backfill"] is True and backfill["windows"] in (90, 91)
    assert backfill["rows_read"] == _materializing(history.loaded)
    port = service.events("endpoint_started")[0]["port"]
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
        assert response.status == 200 and json.load(response)["last_successful_crawl"]
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        assert b"lineage_engine_last_successful_crawl_timestamp_seconds 1." in response.read()

    passes: list[dict[str, Any]] = []
    for _ in range(2):  # the held-back day, in two parts, each picked up by the next incremental pass
        part, seen = history.insert_next(), len(_crawls(service.events(), "crawl"))
        want = _materializing(part)

        def picked_up(ev: list[dict[str, Any]], seen: int = seen, want: int = want) -> list[dict[str, Any]]:
            found = [c for c in _crawls(ev, "crawl")[seen:] if c["rows_read"]]
            return found if sum(c["rows_read"] for c in found) >= want else []

        found = service.wait_for("an incremental pass with the new rows", picked_up)
        assert sum(c["rows_read"] for c in found) == want and not any(c["backfill"] for c in found)
        passes += found
    assert service.stop(signal.SIGTERM) == 0
    events = service.events()
    assert events[-1]["event"] == "service_stopped"
    # No overlap: every row was read exactly once across the backfill and all incremental passes.
    total = sum(c["rows_read"] for c in _crawls(events, "backfill") + _crawls(events, "crawl"))
    assert total == _materializing(history.loaded)
    assert len(passes) >= 2 and passes[0]["watermark"] < passes[-1]["watermark"]
    assert SECRET not in service.log_path.read_text()
    assert _export(config) == history.expected_edges()


def test_sigkill_during_backfill_resumes_from_the_last_committed_window(history: History, tmp_path: Path) -> None:
    history.insert_all()
    config = _snowflake_config(tmp_path / "svc", history.port, interval=3600)
    registry_url = f"sqlite:///{config.parent / 'state' / 'registry.db'}"

    def windows_after(n: int) -> Callable[[list[dict[str, Any]]], bool]:
        return lambda ev: len([e for e in ev if e.get("event") == "window_committed"]) >= n

    first = Service(config)
    first.wait_for("15 committed windows", windows_after(15))
    first.stop(signal.SIGKILL)
    committed = first.events("window_committed")
    with Registry(registry_url) as reg:
        mark = reg.get_watermark(SOURCE_KEY)
    assert mark is not None and mark.end_time < datetime.now(timezone.utc) - timedelta(days=60)  # mid-backfill
    assert (mark.end_time, mark.query_id) >= (datetime.fromisoformat(committed[-1]["window_end"]), "")

    second = Service(config)  # resumes the backfill, then SIGTERM in the middle of it
    second.wait_for("10 more windows", windows_after(10))
    resumed = second.events("window_committed")
    assert datetime.fromisoformat(resumed[0]["window_start"]) == mark.end_time  # no committed window again
    assert second.stop(signal.SIGTERM) == 0
    events = second.events()
    assert [e["event"] for e in events if e.get("event") in ("stopping", "service_stopped")] == \
        ["stopping", "service_stopped"]
    stopped = next(e for e in events if e.get("event") == "job_finished" and e["job"] == "backfill")
    assert stopped["outcome"] == "stopped"
    with Registry(registry_url) as reg:
        after_term = reg.get_watermark(SOURCE_KEY)
    assert after_term is not None and after_term.end_time < datetime.now(timezone.utc) - timedelta(days=1)

    third = Service(config, "--once")
    assert third.wait_exit() == 0, third.log_path.read_text()[-3000:]
    assert datetime.fromisoformat(third.events("window_committed")[0]["window_start"]) == after_term.end_time
    with Registry(registry_url) as reg:
        final = reg.get_watermark(SOURCE_KEY)
    assert final is not None and final.rows_total == _materializing(history.loaded)  # each row merged once
    assert _export(config) == history.expected_edges()


def test_crawl_against_a_closed_port_retries_names_account_and_host_and_keeps_the_watermark(tmp_path: Path) -> None:
    port = free_port()
    config = _snowflake_config(tmp_path / "closed", port)
    seeded = Watermark(SOURCE_KEY, datetime.now(timezone.utc) - timedelta(minutes=30), "01seed", rows_total=7)
    with Registry(f"sqlite:///{config.parent / 'state' / 'registry.db'}") as reg:
        reg.migrate()
        reg.set_watermark(seeded)
    result = _cli(config, "crawl")
    assert result.returncode == 1
    error = result.stderr.strip().splitlines()[-1]
    assert error.startswith("error: ") and "acme-test" in error and f"127.0.0.1:{port}" in error
    assert [json.loads(line)["attempt"] for line in result.stderr.splitlines()
            if line.startswith("{") and '"event": "retry"' in line] == [1, 2]  # 3 attempts
    assert SECRET not in result.stdout + result.stderr
    with Registry(f"sqlite:///{config.parent / 'state' / 'registry.db'}") as reg:
        assert reg.get_watermark(SOURCE_KEY) == seeded
