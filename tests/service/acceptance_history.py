"""Shared parts of the issue 3 acceptance tests (``lineage-engine run`` against ``fakesnow -s``).

One ``fakesnow -s`` server per test module (the real driver over HTTP, ``protocol: http``) holds
``SNOWFLAKE.ACCOUNT_USAGE.QUERY_HISTORY`` built from the solana-models corpus: the first 89
days shifted to end ten minutes ago (the backfill), the last day held back and inserted
while the service runs (two incremental passes). The expected graph is the file-source
crawl of the same rows, with the same timestamps. The tests are in two modules so that the
two long ones run on separate workers.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from lineage_engine.parsing import MATERIALIZING_QUERY_TYPES
from tests.corpora import corpus
from tests.waiting import HANG_SECONDS, json_log_lines, wait_until
from tests.service.fakesnow_history import (
    create_views,
    fakesnow_server,
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


READ_TYPES = MATERIALIZING_QUERY_TYPES | {"SELECT", "GRANT", "REVOKE", "CALL"}
"""What the crawler's SQL asks for by default: materializing types, SELECTs (reads kept as access
facts), GRANT / REVOKE (grant facts), issue 14, and CALL (a place among its session's queries for
``RESULT_SCAN(LAST_QUERY_ID())``, review O2)."""


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


WINDOW_DAYS = 3
"""``telemetry.backfill_window_days`` of the acceptance services: 31 windows over the 90 days, not 91
(each window costs the fakesnow server about a second; the windows' semantics do not change)."""


def _snowflake_config(folder: Path, port: int, *, interval: int = 2, extra: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    telemetry = ("telemetry: {provider: snowflake, account: acme-test, user: LINEAGE_SVC, password: '${SF_TEST_PASSWORD}', "
                 f"host: 127.0.0.1, port: {port}, protocol: http, warehouse: LINEAGE_WH, lag_minutes: 0, "
                 f"login_timeout_seconds: 5, backfill_window_days: {WINDOW_DAYS}}}\n")
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
        lines = json_log_lines(self.log_path.read_text())  # complete lines: the service is writing
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
