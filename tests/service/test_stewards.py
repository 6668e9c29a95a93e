"""The steward check: pure rules, then the job against a real SQLite registry and outbox."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from rich.console import Console

from lineage_engine.model import Asset
from lineage_engine.registry.repository import Registry
from lineage_engine.settings import ComplianceSettings, MonitoringSettings, Settings
from lineage_engine.stewards import NO_STEWARD, REVIEW_OVERDUE, check_stewards, find_steward_issues

NOW = datetime(2026, 11, 21, 9, 0, tzinfo=timezone.utc)
ASSETS = [
    Asset("prod.raw.customers", "dataset", "restricted", ("pii",), steward="privacy@x", reviewed_at=NOW - timedelta(days=10)),
    Asset("prod.raw.customers.email", "column", "restricted", ("pii",)),  # inherits the dataset's steward
    Asset("prod.raw.tickets", "dataset", "restricted", ("pii",)),  # no steward, never reviewed
    Asset("prod.raw.payments", "dataset", "confidential", (), steward="fin@x", reviewed_at=NOW - timedelta(days=91)),
    Asset("prod.raw.payments.card", "column", "internal", ("pci",)),  # tags make it classified; dataset steward
    Asset("prod.share.feed", "dataset", "internal", ()),  # not classified: never reported
    Asset("prod.raw.orphan.ssn", "column", "restricted", ("pii",)),  # no dataset asset to inherit from
]


def test_classified_assets_without_steward_and_overdue_reviews() -> None:
    issues = find_steward_issues(ASSETS, now=NOW, steward_enforcement=True, review_cycle_days=90)
    assert [(i.asset.catalog_path, i.rule) for i in issues] == [
        ("prod.raw.orphan.ssn", NO_STEWARD),
        ("prod.raw.payments", REVIEW_OVERDUE),
        ("prod.raw.tickets", NO_STEWARD),
    ]
    relaxed = find_steward_issues(ASSETS, now=NOW, steward_enforcement=False, review_cycle_days=90)
    assert [(i.asset.catalog_path, i.rule) for i in relaxed] == [("prod.raw.payments", REVIEW_OVERDUE)]
    # One dedupe key per asset, rule and review period: the same key all period long.
    later = find_steward_issues(ASSETS, now=NOW + timedelta(days=1), steward_enforcement=True, review_cycle_days=90)
    assert [i.dedupe_key for i in later] == [i.dedupe_key for i in issues]
    with pytest.raises(ValueError, match="aware"):
        find_steward_issues(ASSETS, now=NOW.replace(tzinfo=None), steward_enforcement=True, review_cycle_days=90)


def _settings(tmp_path: Path, **monitoring: object) -> Settings:
    return Settings(compliance=ComplianceSettings(classification_db=f"sqlite:///{tmp_path / 'registry.db'}"),
                    monitoring=MonitoringSettings(**monitoring))


def test_check_stewards_alerts_once_per_period_and_honours_alert_on(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    with Registry(settings.registry_url) as reg:
        reg.migrate()
        reg.upsert_assets(ASSETS)
    console = Console(record=True, width=200)
    first = check_stewards(settings, now=NOW, console=console)
    assert (len(first.issues), first.queued, first.delivery.delivered) == (3, 3, 3)
    shown = console.export_text()
    assert "prod.raw.tickets" in shown and "no steward is assigned" in shown and "older than 90 days" in shown
    again = check_stewards(settings, now=NOW + timedelta(hours=24), console=console)
    assert (again.queued, again.delivery.delivered) == (0, 0)  # same review period: no repeat

    quiet = _settings(tmp_path / "quiet", alert_on=["unmasked_pii"])
    with Registry(quiet.registry_url) as reg:
        reg.migrate()
        reg.upsert_assets(ASSETS)
    report = check_stewards(quiet, now=NOW, console=console)
    assert (len(report.issues), report.queued) == (3, 0)
    with Registry(quiet.registry_url) as reg:
        assert reg.pending_alerts() == []
