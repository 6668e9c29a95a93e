"""``POST /api/v1/lineage`` of ``lineage-engine serve`` (issue 16 §2, §4), fed by openlineage-python's HTTP transport.

The server runs as a subprocess (the installed console script, ``tests.web_server``); events are
sent by the real ``openlineage-python`` client, stored by the server before its 201, and merged
into the graph by a separate ``lineage-engine crawl`` (the one writer of the graph).
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import yaml
from openlineage.client import OpenLineageClient
from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
from openlineage.client.generated.column_lineage_dataset import (
    ColumnLineageDatasetFacet,
    Fields,
    InputField,
    Transformation,
)
from openlineage.client.transport.http import ApiKeyTokenProvider, HttpConfig, HttpTransport

from tests.cli_run import environment, export_edges, file_config, run_cli
from tests.web_server import request, running_server

TOKEN = "s3cret-token-for-the-openlineage-test"
WAREHOUSE = "snowflake://myorg-acct"
RUN_ID = "0b5e2f0e-3c5a-4a77-9a3e-1f0e6f1d2c3b"


def _spark_copy(run_id: str = RUN_ID, state: RunState = RunState.COMPLETE) -> RunEvent:
    """A Spark job copying the customers' e-mail (clear) and a hash of it (masked) to S3."""
    def field(transformation: Transformation) -> Fields:
        return Fields(inputFields=[InputField(namespace=WAREHOUSE, name="PROD.RAW.CUSTOMERS", field="EMAIL",
                                              transformations=[transformation])])

    return RunEvent(
        eventType=state, eventTime="2026-03-14T10:00:00+00:00", run=Run(runId=run_id),
        job=Job(namespace="spark", name="export_customers"), producer="https://example.com/spark-openlineage",
        inputs=[InputDataset(namespace=WAREHOUSE, name="PROD.RAW.CUSTOMERS")],
        outputs=[OutputDataset(namespace="s3://partner-exports", name="/customers/2026-03-14", facets={
            "columnLineage": ColumnLineageDatasetFacet(fields={
                "email": field(Transformation(type="DIRECT", subtype="IDENTITY", masking=False)),
                "email_hash": field(Transformation(type="DIRECT", subtype="TRANSFORMATION", masking=True)),
            })})])


def _stored(folder: Path) -> int:
    with sqlite3.connect(folder / ".lineage" / "registry.db") as db:
        return int(db.execute("select count(*) from openlineage_events").fetchone()[0])


def test_run_events_posted_by_the_client_become_lineage_and_findings(tmp_path: Path) -> None:
    (tmp_path / "empty.jsonl").write_text("")
    (tmp_path / "registry.yaml").write_text(
        "assets:\n  - {catalog_path: prod.raw.customers.email, asset_type: column, classification: confidential,"
        " regulatory_tags: [pii], steward: dpo@example.com}\n")
    config = tmp_path / "lineage-engine.config.yaml"
    config.write_text(yaml.safe_dump({
        "telemetry": {"provider": "file", "path": "empty.jsonl"}, "graph": {"type": "embedded", "path": ".lineage/graph"},
        "compliance": {"classification_db": "sqlite:///.lineage/registry.db"},
        "monitoring": {"slack_webhook": "", "web_token": TOKEN}, "openlineage": {"namespace": WAREHOUSE}}))
    run_cli(config, "migrate")
    run_cli(config, "registry", "import", str(tmp_path / "registry.yaml"))
    auth = {"Authorization": f"Bearer {TOKEN}"}
    with running_server(config, headers=auth) as server:
        client = OpenLineageClient(transport=HttpTransport(HttpConfig(
            url=server.url, endpoint="api/v1/lineage", auth=ApiKeyTokenProvider({"apiKey": TOKEN}))))
        client.emit(_spark_copy())
        client.emit(_spark_copy(run_id="1b5e2f0e-3c5a-4a77-9a3e-1f0e6f1d2c3b", state=RunState.START))
        assert _stored(tmp_path) == 2  # stored before the 201
        client.emit(_spark_copy())  # a replay: 201, nothing stored
        assert _stored(tmp_path) == 2

        # without the token: refused; a malformed event: 400 with the JSON path, not stored
        body = json.dumps({"eventType": "COMPLETE", "eventTime": "2026-03-14T10:00:00Z", "producer": "x",
                           "schemaURL": "y", "run": {"runId": "nope"}, "job": {"namespace": "a", "name": "b"}})
        status, _, _ = request(server.url + "/api/v1/lineage", data=body.encode(), method="POST",
                               headers={"Content-Type": "application/json"})
        assert status == 401
        status, _, answer = request(server.url + "/api/v1/lineage", data=body.encode(), method="POST",
                                    headers={"Content-Type": "application/json", **auth})
        assert status == 400 and json.loads(answer)["path"] == "$.run.runId", answer
        status, _, answer = request(server.url + "/api/v1/lineage", data=b"{oops", method="POST",
                                    headers={"Content-Type": "application/json", **auth})
        assert status == 400 and json.loads(answer)["path"] == "$", answer
        assert _stored(tmp_path) == 2

        # another installation exports its lineage to this server (export openlineage --url, the key from ${VAR})
        other = tmp_path / "other"
        other.mkdir()
        (other / "history.jsonl").write_text(json.dumps({
            "query_id": "q1", "query_type": "CREATE_TABLE_AS_SELECT", "execution_status": "SUCCESS",
            "query_text": "create table prod.marts.contacts as select email from prod.raw.customers",
            "start_time": "2026-03-15T10:00:00Z", "end_time": "2026-03-15T10:00:01Z"}) + "\n")
        other_config = file_config(other, other / "history.jsonl",
                                   extra=f"openlineage: {{namespace: '{WAREHOUSE}', api_key: '${{OL_TEST_KEY:-}}'}}\n")
        run_cli(other_config, "crawl")
        sent = run_cli(other_config, "export", "openlineage", "--url", server.url,
                       env=environment(OL_TEST_KEY=TOKEN))
        assert "sent 1 OpenLineage run events" in sent.stdout, sent.stdout + sent.stderr
        assert TOKEN not in sent.stdout + sent.stderr
        assert _stored(tmp_path) == 3

        crawled = run_cli(config, "crawl")  # the crawler merges what the server stored
        assert "crawled openlineage:received: 3 rows" in crawled.stdout, crawled.stdout
    edges = [json.loads(line) for line in export_edges(config).splitlines()]
    assert [(e["downstream"], e["upstream"], e["provenance"]) for e in edges] == [
        ("prod.marts.contacts", "prod.raw.customers", "openlineage"),
        ("s3://partner-exports", "prod.raw.customers", "openlineage")]
    columns = {(e["downstream"], e["transform"]) for e in
               (json.loads(line) for line in export_edges(config, "--level", "column").splitlines())}
    assert columns == {("s3://partner-exports.email", "identity"), ("s3://partner-exports.email_hash", "masked"),
                       ("prod.marts.contacts.email", "identity")}
    run_cli(config, "scan")
    findings = json.loads(run_cli(config, "findings", "--format", "json").stdout)
    assert sorted((f["origin"], f["terminal"]) for f in findings) == [
        ("prod.raw.customers.email", "prod.marts.contacts.email"),
        ("prod.raw.customers.email", "s3://partner-exports.email")]
    again = run_cli(config, "crawl")
    assert "openlineage:received" not in again.stdout  # nothing new to merge


def test_a_post_before_migrate_creates_no_registry(tmp_path: Path) -> None:
    """Review s14 R12: with no registry yet, the endpoint created an empty registry.db and answered a
    retryable 503 for ever (and every read then found an empty, unmigrated registry). Now: 503 naming
    ``migrate``, and no file."""
    (tmp_path / "history.jsonl").write_text("")
    config = file_config(tmp_path, tmp_path / "history.jsonl")
    event = json.dumps({"eventType": "COMPLETE", "eventTime": "2026-03-14T10:00:00Z",
                        "producer": "https://example.com/p", "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json",
                        "run": {"runId": RUN_ID}, "job": {"namespace": "a", "name": "b"}}).encode()
    with running_server(config) as server:
        status, _, answer = request(server.url + "/api/v1/lineage", data=event, method="POST",
                                    headers={"Content-Type": "application/json"})
    text = answer.decode() if isinstance(answer, bytes) else str(answer)
    assert status == 503 and "migrate" in text, text
    assert not (tmp_path / ".lineage" / "registry.db").exists()
