"""Issue 11 point 3 through the CLI: alert delivery that is honest (ids, attempts, 429, time budget).

Real components: the installed ``lineage-engine`` command, the bundled sample history crawled
into an embedded graph, a SQLite registry, and a local HTTP server standing in for Slack's
incoming webhook.
"""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from lineage_engine.alerts.outbox import ATTEMPT_IN_FLIGHT
from lineage_engine.resources import sample_dir
from tests.cli_run import environment, file_config, run_cli
from tests.waiting import HANG_SECONDS

ALERT_ID = re.compile(r"alert #(\d+) · finding #(\d+)")
Behaviour = Callable[[int, dict], "tuple[int, dict[str, str]]"]


@dataclass
class Slack:
    """A local webhook: ``behaviour(n, body) -> (status, headers)`` decides each answer."""

    url: str = ""
    behaviour: Behaviour = lambda n, body: (200, {})
    posts: list[tuple[float, dict]] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)

    def ids(self) -> list[int]:
        return [int(ALERT_ID.search(body["text"]).group(1)) for _, body in self.posts]


@pytest.fixture
def slack() -> Iterator[Slack]:
    state = Slack()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server API
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
            state.posts.append((time.monotonic(), body))
            status, headers = state.behaviour(len(state.posts), body)
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}/services/T0/B0/secret"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        state.release.set()
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def crawled_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    config = file_config(tmp_path_factory.mktemp("alerts") / "cfg", sample_dir() / "query_history.jsonl")
    run_cli(config, "registry", "import", str(sample_dir() / "classifications.yaml"))
    run_cli(config, "crawl")
    return config.parent


@pytest.fixture
def config(crawled_template: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "cfg"
    shutil.copytree(crawled_template, folder)
    return folder / "lineage-engine.config.yaml"


def scan(config: Path, slack: Slack, budget: float | None = None, *, failed: bool = False) -> str:
    """Run ``scan``; it exits 1, with one error line, exactly when an alert failed to deliver."""
    env = environment(LINEAGE_ENGINE_MONITORING__SLACK_WEBHOOK=slack.url)
    if budget is not None:
        env["LINEAGE_ENGINE_MONITORING__ALERT_BUDGET_SECONDS"] = str(budget)
    result = run_cli(config, "scan", env=env, check=False)
    assert result.returncode == (1 if failed else 0), result.stdout + result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert (errors and "could not be delivered to Slack" in errors[0]) if failed else not errors, result.stderr
    return result.stdout


def outbox(config: Path) -> dict[int, tuple[int, str | None, str | None]]:
    with sqlite3.connect(config.parent / ".lineage" / "registry.db") as db:
        return {i: (attempts, error, delivered)
                for i, attempts, error, delivered in db.execute(
                    "select id, attempts, last_error, delivered_at from alert_outbox")}


def test_each_message_names_its_alert_and_finding_and_its_attempt_is_recorded_before_the_post(
        config: Path, slack: Slack) -> None:
    seen_in_registry: list[tuple[int, str | None, str | None]] = []

    def behaviour(n: int, body: dict) -> tuple[int, dict[str, str]]:
        alert_id = int(ALERT_ID.search(body["text"]).group(1))
        seen_in_registry.append(outbox(config)[alert_id])  # what the registry says while Slack holds the post
        return 200, {}

    slack.behaviour = behaviour
    out = scan(config, slack)
    assert "22 delivered, 0 failed, 0 pending" in " ".join(out.split())
    ids = slack.ids()
    assert sorted(ids) == sorted(outbox(config)) and len(set(ids)) == 22
    for _, body in slack.posts:
        assert body["blocks"][-1]["elements"][0]["text"] == ALERT_ID.search(body["text"]).group(0) + " · opened"
    assert seen_in_registry == [(1, ATTEMPT_IN_FLIGHT, None)] * 22
    assert all(error is None and delivered for _, error, delivered in outbox(config).values())


def test_a_429_stops_sending_for_its_retry_after_and_keeps_the_rest_pending(config: Path, slack: Slack) -> None:
    slack.behaviour = lambda n, body: (429, {"Retry-After": "3600"}) if n == 1 else (200, {})
    out = " ".join(scan(config, slack, failed=True).split())
    assert len(slack.posts) == 1  # nothing more for an hour: longer than this run's budget
    assert "0 delivered, 1 failed, 22 pending" in out and "21 left for the next run" in out
    assert "Retry-After 3600 s" in out
    first = slack.ids()[0]
    assert outbox(config)[first][:2] == (1, "HTTP 429: rate limited; retry after 3600 s")


def test_a_short_retry_after_is_waited_out_within_the_run(config: Path, slack: Slack) -> None:
    slack.behaviour = lambda n, body: (429, {"Retry-After": "2"}) if n == 1 else (200, {})
    out = " ".join(scan(config, slack).split())
    assert "22 delivered, 0 failed, 0 pending" in out
    (first, _), (second, _) = slack.posts[:2]
    assert second - first >= 2.0  # nothing was sent during the pause Slack asked for
    assert len(slack.posts) == 23 and slack.ids()[0] == slack.ids()[1]  # the refused one first


def test_a_dead_slack_never_holds_the_scan_past_its_budget(config: Path, slack: Slack) -> None:
    def hang(n: int, body: dict) -> tuple[int, dict[str, str]]:
        slack.release.wait(600)  # accepts the connection, never answers (until the test ends)
        return 200, {}

    slack.behaviour = hang
    out = " ".join(scan(config, slack, budget=2, failed=True).split())
    assert len(slack.posts) == 1  # the first post timed out (2 s) and used the whole budget
    assert "0 delivered, 1 failed, 22 pending" in out and "21 left for the next run" in out
    [attempted] = [row for row in outbox(config).values() if row[0]]
    assert "timed out" in (attempted[1] or "").lower() or "timeout" in (attempted[1] or "").lower()


def test_a_kill_during_a_post_repeats_only_that_alert_and_says_so(config: Path, slack: Slack) -> None:
    """At least once: the alert being posted when the process died is sent again (the same ids), nothing else."""
    import subprocess

    from tests.cli_run import COMMAND

    holding = threading.Event()

    def hold_the_third(n: int, body: dict) -> tuple[int, dict[str, str]]:
        if n == 3:
            holding.set()
            slack.release.wait(600)
        return 200, {}

    slack.behaviour = hold_the_third
    env = environment(LINEAGE_ENGINE_MONITORING__SLACK_WEBHOOK=slack.url)
    process = subprocess.Popen([COMMAND, "--config", str(config), "scan"], cwd=config.parent, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert holding.wait(HANG_SECONDS), "the scan never reached its third post"
        process.kill()  # SIGKILL while Slack holds the third post
        process.wait(60)
    finally:
        if process.poll() is None:
            process.kill()
    slack.behaviour = lambda n, body: (200, {})
    out = " ".join(scan(config, slack).split())
    assert "1 sent again after a post whose outcome was unknown" in out
    ids = slack.ids()
    assert len(ids) == 23 and len(set(ids)) == 22
    assert ids[2] == ids[3]  # the one in flight, repeated with the same alert and finding ids
    # the findings event log went through the kill too: intact, one 'alerted' event per queued alert
    assert "event log intact" in run_cli(config, "findings", "verify").stdout
    with sqlite3.connect(config.parent / ".lineage" / "registry.db") as db:
        alerted = db.execute("select count(*), count(distinct finding_id) from finding_events "
                             "where event = 'alerted'").fetchone()
    assert alerted == (22, 22)
