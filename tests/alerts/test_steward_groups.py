"""Grouped steward alerts: a registry import of many unowned assets is one Slack message, not one each.

The steward check queued one ``steward_missing`` alert per classified asset without a steward
(and per overdue review): importing a registry of thousands of unowned columns queued thousands
of Slack posts. More than ``monitoring.alert_group_above`` new issues of one rule in one check are
now one alert (count, classifications, tags, the first assets, the list command); each asset is
still recorded, so it alerts once per review period, grouped or not. Delivered to a real HTTP
server on 127.0.0.1 standing in for Slack.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

from pydantic import SecretStr

from lineage_engine.model import Asset
from lineage_engine.registry.repository import Registry
from lineage_engine.settings import ComplianceSettings, MonitoringSettings, Settings
from lineage_engine.stewards import check_stewards

NOW = datetime(2026, 11, 21, 9, 0, tzinfo=timezone.utc)


def _unowned(n: int, start: int = 0) -> list[Asset]:
    return [Asset(f"prod.raw.t{k:03d}", "dataset", "restricted" if k % 2 else "confidential", ("pii",))
            for k in range(start, start + n)]


def _overdue(n: int) -> list[Asset]:
    return [Asset(f"prod.fin.r{k}", "dataset", "confidential", (), steward="fin@x",
                  reviewed_at=NOW - timedelta(days=200)) for k in range(n)]


def _settings(tmp_path: Path, url: str, above: int) -> Settings:
    return Settings(compliance=ComplianceSettings(classification_db=f"sqlite:///{tmp_path / 'registry.db'}"),
                    monitoring=MonitoringSettings(slack_webhook=SecretStr(url), alert_group_above=above))


def _texts(webhook) -> list[str]:  # noqa: ANN001 - the conftest fixture
    return [json.dumps(body) for body in webhook.accepted]


def test_many_unowned_assets_are_one_alert_and_each_alerts_once_per_period(tmp_path: Path, webhook) -> None:  # noqa: ANN001
    settings = _settings(tmp_path, webhook.url, above=10)
    with Registry(settings.registry_url) as reg:
        reg.migrate()
        reg.upsert_assets(_unowned(25) + _overdue(2))
    first = check_stewards(settings, now=NOW)
    assert (len(first.issues), first.queued, first.delivery.delivered) == (27, 3, 3)
    texts = _texts(webhook)
    grouped = [t for t in texts if "25 classified assets: no steward is assigned" in t]
    assert len(grouped) == 1 and "prod.raw.t000" in grouped[0] and "and 17 more" in grouped[0]
    assert "lineage-engine registry list" in grouped[0] and "25 assets" in grouped[0]  # footer names what it counts
    assert "prod.raw.t024" not in grouped[0]  # only the first 8 are listed
    overdue = [t for t in texts if "classification review older than 90 days" in t]
    assert len(overdue) == 2 and all("classified assets" not in t for t in overdue)  # two: each alone

    assert check_stewards(settings, now=NOW + timedelta(days=1)).queued == 0  # grouped ones are recorded
    assert len(webhook.accepted) == 3
    with Registry(settings.registry_url) as reg:
        reg.upsert_assets(_unowned(3, start=100))
    later = check_stewards(settings, now=NOW + timedelta(days=2))
    assert (later.queued, later.delivery.delivered) == (3, 3)  # three new ones: not over the bound, one each
    assert sum("prod.raw.t10" in t for t in _texts(webhook)[3:]) == 3


def test_grouping_off_alerts_one_per_asset(tmp_path: Path, webhook) -> None:  # noqa: ANN001
    settings = _settings(tmp_path, webhook.url, above=0)
    with Registry(settings.registry_url) as reg:
        reg.migrate()
        reg.upsert_assets(_unowned(12))
    report = check_stewards(settings, now=NOW)
    assert (report.queued, report.delivery.delivered, len(webhook.accepted)) == (12, 12, 12)
