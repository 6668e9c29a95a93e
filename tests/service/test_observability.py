"""Structured logs, Prometheus metrics and /healthz of the service."""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request

import pytest

from lineage_engine.model import MergeReport
from lineage_engine.observability import Health, JsonFormatter, Metrics, MetricsServer, TextFormatter
from lineage_engine.pipeline import CrawlReport


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


def test_metrics_and_health_endpoint_on_a_local_port() -> None:
    metrics, health = Metrics(), Health()
    server = MetricsServer("127.0.0.1", 0, metrics, health).start()
    base = f"http://127.0.0.1:{server.port}"
    try:
        assert _get(f"{base}/healthz")[0] == 200
        metrics.record_crawl(CrawlReport(source="s", rows_read=12, statements_parsed=7, quarantined=2,
                                         merge=MergeReport(edges_created=3, edges_updated=4, edges_closed=1)))
        metrics.last_successful_crawl.set(1_700_000_000)
        metrics.findings_open.set(5)
        metrics.alert_delivery_failures.inc(2)
        status, text = _get(f"{base}/metrics")
        assert status == 200
        for line in ("lineage_engine_statements_parsed_total 7.0", "lineage_engine_statements_quarantined_total 2.0",
                     'lineage_engine_edges_merged_total{change="created"} 3.0', "lineage_engine_findings_open 5.0",
                     "lineage_engine_alert_delivery_failures_total 2.0",
                     "lineage_engine_last_successful_crawl_timestamp_seconds 1.7e+09"):
            assert line in text, line

        health.state = "running"
        health.job_finished("crawl", True)
        status, body = _get(f"{base}/healthz")
        assert status == 200 and json.loads(body)["last_successful_crawl"]
        health.job_finished("crawl", False, "query-history source 'snowflake:acme': cannot connect")
        status, body = _get(f"{base}/healthz")
        assert status == 503 and "cannot connect" in json.loads(body)["last_crawl_error"]
        assert _get(f"{base}/nope")[0] == 404
    finally:
        server.stop()
    with pytest.raises(OSError):  # the port is released
        urllib.request.urlopen(f"{base}/healthz", timeout=2)


def test_log_lines_carry_fields_as_json_or_key_values() -> None:
    record = logging.LogRecord("lineage_engine.scheduler", logging.INFO, __file__, 1, "job %s finished", ("crawl",), None)
    record.event, record.rows_read = "job_finished", 42
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "job crawl finished" and line["event"] == "job_finished" and line["rows_read"] == 42
    assert line["ts"].endswith("Z") and line["level"] == "INFO"
    assert TextFormatter().format(record).endswith("job crawl finished event=job_finished rows_read=42")
