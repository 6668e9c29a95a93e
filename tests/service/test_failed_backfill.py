"""A backfill window that exhausts its retries: failed_backfill alert, window left pending."""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from pathlib import Path

import pytest
from rich.console import Console

from lineage_engine import services
from lineage_engine.errors import TransientSourceError
from lineage_engine.registry.repository import Registry
from lineage_engine.settings import ComplianceSettings, GraphSettings, SchedulerSettings, Settings, TelemetrySettings
from tests.service.fakesnow_history import free_port

NOW = datetime(2026, 11, 21, 9, 0, tzinfo=timezone.utc)


def test_failed_backfill_window_alerts_once_per_day_and_stays_pending(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    port = free_port()
    settings = Settings(
        telemetry=TelemetrySettings(provider="snowflake", account="acme-test", user="LINEAGE_SVC",
                                    password="hunter2-secret", host="127.0.0.1", port=port, protocol="http",
                                    login_timeout_seconds=2, backfill_days=365),
        graph=GraphSettings(path=tmp_path / "graph"),
        compliance=ComplianceSettings(classification_db=f"sqlite:///{tmp_path / 'registry.db'}"),
        scheduler=SchedulerSettings(retry_attempts=2, retry_backoff_seconds=0),
    )
    console = Console(record=True, width=200)
    caplog.set_level(logging.INFO)
    with pytest.raises(TransientSourceError) as caught:
        services.crawl(settings, clock=lambda: NOW, console=console)
    assert "acme-test" in str(caught.value) and f"127.0.0.1:{port}" in str(caught.value)
    retries = [r for r in caplog.records if getattr(r, "event", None) == "retry"]
    assert len(retries) == 1  # two attempts: one retry
    # backfill_days 365 from midnight: the first window reaches past Snowflake's retention.
    assert [r for r in caplog.records if getattr(r, "event", None) == "window_outside_retention"]

    shown = console.export_text(clear=False)
    assert "failed_backfill" in shown and "2025-11-21T00:00:00+00:00" in shown and "hunter2" not in shown
    with Registry(settings.registry_url) as reg:
        assert reg.get_watermark("snowflake:acme-test") is None  # the window stays pending
        assert reg.pending_alerts() == []  # delivered to the console

    with pytest.raises(TransientSourceError):
        services.crawl(settings, clock=lambda: NOW, console=console)
    assert console.export_text().count("window_start: 2025-11-21") == 1  # same window, same day: no repeat
