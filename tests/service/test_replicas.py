"""Issue 13 §4: three ``lineage-engine run`` replicas on one PostgreSQL registry, one crawler.

The replicas share a PostgreSQL registry and an embedded graph folder. Exactly one holds
the ``crawl`` lease and crawls, scans and alerts; the others stay standby and never open
the graph. The holder is killed with SIGKILL while rows keep arriving; another replica
takes over, resumes from the watermark, and in the end the graph equals a clean crawl of
the whole history (no lost or repeated edge) and no alert was posted twice.
"""

from __future__ import annotations

import json
import signal
import subprocess
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, make_url, text

from lineage_engine.registry.repository import Registry
from lineage_engine.sources.file import FileQueryHistorySource
from tests.alerts.conftest import Webhook, webhook  # noqa: F401 - the fixture, for this module
from tests.cli_run import COMMAND, environment, export_edges, file_config, run_cli
from tests.registry.conftest import postgres_schema_url as fresh_postgres_schema
from tests.waiting import json_log_lines, wait_until

SAMPLE = Path(__file__).resolve().parents[2] / "config" / "sample"
LEASE_SECONDS = 20  # long enough that a loaded machine never misses a renewal (L/2); take-over of
# a killed local holder is immediate at the next try (L/4), so the test does not wait for expiry
SPLIT = 250  # rows present at start; the rest (with findings of their own) arrive as the holder dies
pytestmark = pytest.mark.postgres


@pytest.fixture
def postgres_schema_url() -> Iterator[str]:
    """Yield a PostgreSQL registry URL whose connections use a fresh, empty schema."""
    with fresh_postgres_schema() as url:
        yield url


class Replica:
    """One ``lineage-engine run`` process with its JSON log lines."""

    def __init__(self, config: Path, name: str) -> None:
        self.log_path = config.parent / f"{name}.log"
        self._log = self.log_path.open("w")
        self.proc = subprocess.Popen([COMMAND, "--config", str(config), "run"], stdout=subprocess.DEVNULL,
                                     stderr=self._log, cwd=config.parent, env=environment())

    def events(self, name: str | None = None) -> list[dict[str, Any]]:
        lines = json_log_lines(self.log_path.read_text())  # complete lines: the service is writing
        return [e for e in lines if name is None or e.get("event") == name]

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self._log.close()


def _rows(path: Path) -> list[str]:
    return [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_one_replica_crawls_and_another_takes_over_after_kill_9(
        tmp_path: Path, postgres_schema_url: str, webhook: Webhook) -> None:  # noqa: F811
    rows = _rows(SAMPLE / "query_history.jsonl")
    history = tmp_path / "history.jsonl"
    history.write_text("\n".join(rows[:SPLIT]) + "\n", encoding="utf-8")
    folder = tmp_path / "replicas"
    config = file_config(folder, history, extra=(
        f"scheduler: {{crawl_interval_seconds: 1, lease_seconds: {LEASE_SECONDS}, retry_backoff_seconds: 0.2}}\n"))
    text_ = config.read_text().replace('classification_db: "sqlite:///.lineage/registry.db"',
                                       f'classification_db: "{postgres_schema_url}"')
    text_ = text_.replace("monitoring: {slack_webhook: ''}",
                          f"monitoring: {{slack_webhook: '{webhook.url}', log_format: json, metrics_port: 0}}")
    config.write_text(text_)
    run_cli(config, "migrate")
    run_cli(config, "registry", "import", str(SAMPLE / "classifications.yaml"))

    key = FileQueryHistorySource(history).key
    registry = Registry(postgres_schema_url)
    replicas = [Replica(config, f"replica-{i}") for i in range(3)]
    try:
        def progress() -> int:
            return sum(len(r.events()) for r in replicas) + len(webhook.posts)

        def detail() -> str:
            return "\n".join(f"{r.log_path.name}:\n{r.log_path.read_text()[-1500:]}" for r in replicas)

        def settled(total: int, scanned_by: list[Replica]) -> bool:
            mark = registry.get_watermark(key)
            return (mark is not None and mark.rows_total == total and not registry.pending_alerts()
                    and any(r.events("scan_finished") for r in scanned_by))

        # settled, and the steward check (run at start) has posted too: no alert is in flight at the kill
        wait_until(lambda: settled(SPLIT, replicas) and any(r.events("steward_checked") for r in replicas),
                   what="the holder to crawl the first rows, scan and alert", progress=progress, detail=detail)
        holders = [r for r in replicas if r.events("job_started")]
        assert len(holders) == 1, detail()  # standby replicas run no job (and never open the graph)
        first = holders[0]
        lease = registry.lease("crawl")
        assert lease is not None and lease.holder is not None
        assert int(lease.holder.split("/")[2]) == first.proc.pid
        alerts_before = len(webhook.accepted)
        assert alerts_before > 0

        with history.open("a", encoding="utf-8") as out:  # more history arrives, then the holder dies
            out.write("\n".join(rows[SPLIT:]) + "\n")
        first.proc.send_signal(signal.SIGKILL)
        first.proc.wait()

        others = [r for r in replicas if r is not first]
        wait_until(lambda: settled(len(rows), [r for r in others if r.events("lease_acquired")]),
                   what="a standby to take over and crawl the rest", progress=progress, detail=detail)
        takers = [r for r in replicas if r is not first and r.events("lease_acquired")]
        assert len(takers) == 1, detail()
        standby = next(r for r in replicas if r is not first and r is not takers[0])
        assert not standby.events("job_started"), detail()

        for replica in (takers[0], standby):
            replica.proc.send_signal(signal.SIGTERM)
        for replica in (takers[0], standby):
            wait_until(lambda r=replica: r.proc.poll() is not None, what="a replica to exit on SIGTERM",
                       progress=progress, detail=detail)
            assert replica.proc.returncode == 0, detail()
    finally:
        for replica in replicas:
            replica.close()
    released = registry.lease("crawl")
    assert released is not None and released.holder is None  # the last holder gave it up on SIGTERM

    # No alert posted twice: one post per outbox row, each delivered at its first attempt.
    bodies = [json.dumps(body, sort_keys=True) for body in webhook.accepted]
    assert len(bodies) == len(set(bodies)) > alerts_before
    registry.close()
    engine = create_engine(make_url(postgres_schema_url))
    with engine.connect() as conn:
        attempts = conn.execute(text("SELECT attempts FROM alert_outbox WHERE delivered_at IS NOT NULL")).scalars().all()
    engine.dispose()
    assert len(attempts) == len(bodies) and set(attempts) == {1}

    # No lost or repeated lineage edge: the graph equals one clean crawl of the whole history.
    clean = file_config(tmp_path / "clean", SAMPLE / "query_history.jsonl")
    run_cli(clean, "crawl")
    assert export_edges(config) == export_edges(clean)


def test_run_once_on_a_held_lease_runs_nothing_and_says_who_holds_it(tmp_path: Path) -> None:
    history = tmp_path / "history.jsonl"
    history.write_text("\n".join(_rows(SAMPLE / "query_history.jsonl")[:50]) + "\n", encoding="utf-8")
    config = file_config(tmp_path / "install", history)
    run_cli(config, "migrate")
    url = f"sqlite:///{config.parent / '.lineage' / 'registry.db'}"
    with Registry(url) as registry:
        now = datetime.now(timezone.utc)
        registry.claim_lease("crawl", "elsewhere/1/42/abcd", now=now, expires_at=now + timedelta(hours=1))
    result = run_cli(config, "run", "--once")
    assert "standby" in result.stderr and "elsewhere/1/42/abcd" in result.stderr
    with Registry(url) as registry:
        assert registry.get_watermark(FileQueryHistorySource(history).key) is None  # nothing crawled
