"""Issue 13 §4: "the others serve traces and web pages".

Two ``lineage-engine run`` replicas share a PostgreSQL registry and an embedded graph folder,
with ``service.web.enabled``. One holds the crawl lease and crawls the sample history in
small batches; the standby answers ``/healthz``, the JSON API and an HTML page while the
holder is crawling (its watermark strictly between the first and the last row before and
after the request), reading the graph read-only, and never runs a job. The holder serves
the same pages. Afterwards both answer the same lineage.
"""

from __future__ import annotations

import json
import signal
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from lineage_engine.registry.repository import Registry
from lineage_engine.sources.file import FileQueryHistorySource
from tests.cli_run import environment, file_config, run_cli
from tests.service.test_replicas import Replica as BaseReplica
from tests.service.test_replicas import postgres_schema_url  # noqa: F401 - the fixture, for this module
from tests.waiting import wait_until

SAMPLE = Path(__file__).resolve().parents[2] / "config" / "sample"
TOKEN = "replica-web-token-0123456789"
pytestmark = pytest.mark.postgres


class Replica(BaseReplica):
    """A replica (``tests/service/test_replicas.py``) whose web view and health endpoint answer here."""

    def port(self, event: str) -> int:
        return int(self.events(event)[0]["port"])

    def get(self, path: str, *, html: bool = False, token: str | None = TOKEN) -> tuple[int, bytes]:
        headers = {"Accept": "text/html" if html else "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        request = urllib.request.Request(f"http://127.0.0.1:{self.port('web_started')}{path}", headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as err:
            return err.code, err.read()

    def healthz(self) -> dict[str, Any]:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port('endpoint_started')}/healthz", timeout=30) as r:
            assert r.status == 200
            return json.load(r)  # type: ignore[no-any-return]


def test_a_standby_serves_pages_and_the_api_while_the_holder_crawls(
        tmp_path: Path, postgres_schema_url: str, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    history = SAMPLE / "query_history.jsonl"
    total = sum(1 for line in history.read_text(encoding="utf-8").splitlines() if line.strip())
    folder = tmp_path / "replicas"
    config = file_config(folder, history, batch_size=5, extra=(
        "scheduler: {crawl_interval_seconds: 1, lease_seconds: 20, retry_backoff_seconds: 0.2}\n"
        "service: {web: {enabled: true, port: 0, token: '${REPLICA_WEB_TOKEN}'}}\n"))
    text = config.read_text().replace('classification_db: "sqlite:///.lineage/registry.db"',
                                      f'classification_db: "{postgres_schema_url}"')
    config.write_text(text.replace("monitoring: {slack_webhook: ''}",
                                   "monitoring: {slack_webhook: '', log_format: json, metrics_port: 0}"))
    monkeypatch.setenv("REPLICA_WEB_TOKEN", TOKEN)  # the replicas' environment (config: ${REPLICA_WEB_TOKEN})
    env = environment()
    run_cli(config, "migrate", env=env)
    run_cli(config, "registry", "import", str(SAMPLE / "classifications.yaml"), env=env)
    key = FileQueryHistorySource(history).key
    registry = Registry(postgres_schema_url)
    replicas = [Replica(config, f"replica-{i}") for i in range(2)]
    try:
        def progress() -> int:
            mark = registry.get_watermark(key)
            return sum(len(r.events()) for r in replicas) + (mark.rows_total if mark else 0)

        def detail() -> str:
            return "\n".join(f"{r.log_path.name}:\n{r.log_path.read_text()[-1500:]}" for r in replicas)

        def rows() -> int:
            mark = registry.get_watermark(key)
            return mark.rows_total if mark is not None else 0

        wait_until(lambda: all(r.events("web_started") and r.events("service_started") for r in replicas)
                   and any(r.events("job_started") for r in replicas),
                   what="both replicas to serve and one to start crawling", progress=progress, detail=detail)
        holder = next(r for r in replicas if r.events("job_started"))
        standby = next(r for r in replicas if r is not holder)
        assert standby.healthz()["lease"] == "standby"
        assert standby.get("/api/findings", token=None)[0] == 401  # the token rule of serve

        during: list[tuple[str, int]] = []  # (what, status) answered with the crawl under way
        while rows() < total:
            before = rows()
            answers = [("standby api", standby.get("/api/coverage")[0]),
                       ("standby page", standby.get("/findings", html=True)[0]),
                       ("holder api", holder.get("/api/coverage")[0])]
            if 0 < before and rows() < total:
                during.extend(answers)
            assert holder.proc.poll() is None and standby.proc.poll() is None, detail()
        assert {what for what, status in during if status == 200} == {"standby api", "standby page", "holder api"}, \
            (during, detail())
        assert all(status in (200, 503) for _what, status in during), during  # 503: a checkpoint raced, retry

        wait_until(lambda: holder.events("scan_finished"), what="the holder's scan", progress=progress, detail=detail)
        lineage = "/api/lineage?id=prod_db.raw.customer_profiles&down=3"
        status, body = standby.get(lineage)
        assert status == 200, body
        nodes = {n["id"] for n in json.loads(body)["nodes"]}
        assert "prod_db.analytics.customer_360" in nodes
        assert json.loads(holder.get(lineage)[1])["nodes"] == json.loads(body)["nodes"]
        status, page = standby.get("/lineage?id=prod_db.raw.customer_profiles", html=True)
        assert status == 200 and b"customer_360" in page
        findings = json.loads(standby.get("/api/findings")[1])
        assert findings and findings == json.loads(holder.get("/api/findings")[1])
        assert not standby.events("job_started"), detail()  # a standby never runs a job
        assert standby.healthz()["lease"] == "standby"

        for replica in replicas:
            replica.proc.send_signal(signal.SIGTERM)
        for replica in replicas:
            wait_until(lambda r=replica: r.proc.poll() is not None, what="a replica to exit on SIGTERM",
                       progress=progress, detail=detail)
            assert replica.proc.returncode == 0, detail()
    finally:
        for replica in replicas:
            replica.close()
        registry.close()
