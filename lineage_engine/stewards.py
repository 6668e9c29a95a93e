"""The steward check: classified assets without a steward, and overdue classification reviews.

:func:`find_steward_issues` is pure (assets and a clock in, issues out);
:func:`check_stewards` is the scheduler's daily job: it queues one ``steward_missing`` alert
per issue in the registry outbox and delivers the outbox.

Rules (design §1, §8; ``compliance`` settings):

* an asset is *classified* when its classification is ``confidential`` or ``restricted``,
  or it carries regulatory tags;
* ``no_steward``: a classified asset with no steward, where a column inherits the steward
  of its dataset's asset; only when ``compliance.steward_enforcement`` is true;
* ``review_overdue``: a classified asset whose ``reviewed_at`` is more than
  ``compliance.review_cycle_days`` old (an asset never reviewed has no review to age and is
  not reported by this rule).

Alerts are deduplicated per asset, rule and review period: periods are consecutive blocks
of ``review_cycle_days`` days counted from 1970-01-01 UTC, so an unresolved issue alerts
once per period, not once per run. More than ``monitoring.alert_group_above`` new issues of one
rule in one run (a registry import of thousands of unowned assets) are one alert
(:func:`group_payload`); each asset's own outbox row is still recorded, as delivered within
that alert, so it does not alert again that period.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from lineage_engine.alerts.outbox import DeliveryReport, deliver_outbox
from lineage_engine.model import Asset, dataset_of

if TYPE_CHECKING:
    from lineage_engine.settings import Settings

KIND = "steward_missing"
NO_STEWARD = "no_steward"
REVIEW_OVERDUE = "review_overdue"
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_CLASSIFIED = frozenset({"confidential", "restricted"})
GROUP_LISTED = 8
"""Assets a grouped alert lists (by catalog path); the rest are counted."""
_PROBLEMS = {NO_STEWARD: "no steward is assigned", REVIEW_OVERDUE: "classification review older than {days} days"}


@dataclass(frozen=True, slots=True)
class StewardIssue:
    """One asset that needs a steward's attention.

    Attributes:
        asset: the registry asset.
        rule: ``no_steward`` or ``review_overdue``.
        period_start: start (UTC) of the review period the alert belongs to.
    """

    asset: Asset
    rule: str
    period_start: datetime

    @property
    def dedupe_key(self) -> str:
        """Return the outbox key: one alert per asset, rule and review period."""
        return f"{KIND}:{self.rule}:{self.asset.catalog_path}:{self.period_start.date().isoformat()}"

    def payload(self, review_cycle_days: int) -> dict[str, Any]:
        """Return the alert payload (JSON values only)."""
        asset = self.asset
        problem = _PROBLEMS[self.rule].format(days=review_cycle_days)
        return {
            "asset": asset.catalog_path,
            "asset_type": asset.asset_type,
            "problem": problem,
            "classification": asset.classification,
            "regulatory_tags": list(asset.regulatory_tags),
            "steward": asset.steward or "(none)",
            "reviewed_at": asset.reviewed_at.isoformat() if asset.reviewed_at else None,
            "review_period_start": self.period_start.date().isoformat(),
        }


def group_payload(issues: Sequence[StewardIssue], review_cycle_days: int) -> dict[str, Any]:
    """Return the payload of one alert standing for many issues of one rule and review period.

    Keys: ``problem``, ``rule``, ``grouped`` (how many), ``review_period_start`` (ISO date),
    ``classifications`` and ``regulatory_tags`` (assets per value), ``assets`` (the first
    :data:`GROUP_LISTED` by catalog path: ``asset``, ``asset_type``, ``classification``,
    ``regulatory_tags``) and ``list_command`` (the command listing every asset with its steward).
    """
    ranked = sorted(issues, key=lambda i: i.asset.catalog_path)
    first = ranked[0]
    tags: Counter[str] = Counter(t for i in ranked for t in i.asset.regulatory_tags)
    return {
        "problem": _PROBLEMS[first.rule].format(days=review_cycle_days),
        "rule": first.rule,
        "grouped": len(ranked),
        "review_period_start": first.period_start.date().isoformat(),
        "classifications": dict(sorted(Counter(i.asset.classification or "(none)" for i in ranked).items())),
        "regulatory_tags": dict(sorted(tags.items())),
        "assets": [{"asset": i.asset.catalog_path, "asset_type": i.asset.asset_type,
                    "classification": i.asset.classification, "regulatory_tags": list(i.asset.regulatory_tags)}
                   for i in ranked[:GROUP_LISTED]],
        "list_command": "lineage-engine registry list",
    }


def is_classified(asset: Asset) -> bool:
    """Return True when the asset is confidential, restricted, or carries regulatory tags."""
    return asset.classification in _CLASSIFIED or bool(asset.regulatory_tags)


def review_period_start(now: datetime, review_cycle_days: int) -> datetime:
    """Return the start (UTC midnight) of the review period holding ``now``."""
    days = (now - _EPOCH).days
    return _EPOCH + timedelta(days=days - days % review_cycle_days)


def find_steward_issues(
    assets: Sequence[Asset], *, now: datetime, steward_enforcement: bool, review_cycle_days: int
) -> list[StewardIssue]:
    """Return the issues of classified assets, ordered by catalog path then rule.

    Args:
        assets: every registry asset.
        now: aware UTC.
        steward_enforcement: report assets without a steward.
        review_cycle_days: a review older than this many days is overdue.

    Raises:
        ValueError: ``now`` is naive or ``review_cycle_days`` is below 1.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("find_steward_issues needs an aware UTC 'now'")
    if review_cycle_days < 1:
        raise ValueError(f"review_cycle_days must be at least 1, got {review_cycle_days}")
    stewards = {a.catalog_path: a.steward for a in assets if a.asset_type == "dataset"}
    period = review_period_start(now, review_cycle_days)
    issues: list[StewardIssue] = []
    for asset in sorted(assets, key=lambda a: a.catalog_path):
        if not is_classified(asset):
            continue
        inherited = stewards.get(dataset_of(asset.catalog_path)) if asset.asset_type == "column" else None
        if steward_enforcement and not (asset.steward or inherited):
            issues.append(StewardIssue(asset, NO_STEWARD, period))
        if asset.reviewed_at is not None and now - asset.reviewed_at > timedelta(days=review_cycle_days):
            issues.append(StewardIssue(asset, REVIEW_OVERDUE, period))
    return issues


@dataclass(frozen=True, slots=True)
class StewardReport:
    """What one :func:`check_stewards` run found and did."""

    issues: tuple[StewardIssue, ...]
    queued: int
    delivery: DeliveryReport


def check_stewards(settings: Settings, *, now: datetime, console: object | None = None) -> StewardReport:
    """Queue a ``steward_missing`` alert per new issue, then deliver the outbox.

    Nothing is queued when ``steward_missing`` is not in ``monitoring.alert_on``. More than
    ``monitoring.alert_group_above`` new issues of one rule (0: never) are queued as one alert
    (:func:`group_payload`); ``queued`` counts outbox alerts, so such a group counts one.

    Raises:
        RegistryError: the registry could not be read or written.
    """
    from lineage_engine import services  # services wires settings; imported late to keep this module light

    compliance = settings.compliance
    enabled = KIND in settings.monitoring.alert_on
    with services.registry(settings) as reg:
        reg.migrate()
        issues = find_steward_issues(reg.list_assets(), now=now, steward_enforcement=compliance.steward_enforcement,
                                     review_cycle_days=compliance.review_cycle_days)
        queued = 0
        if enabled:
            days = compliance.review_cycle_days
            for rule in (NO_STEWARD, REVIEW_OVERDUE):
                mine = [i for i in issues if i.rule == rule]
                if not mine:
                    continue
                by_key = {i.dedupe_key: i for i in mine}
                queued += reg.enqueue_alert_group(
                    KIND, [(i.dedupe_key, i.payload(days)) for i in mine],
                    group_above=settings.monitoring.alert_group_above,
                    group=lambda keys, rule=rule, by_key=by_key: (
                        f"{KIND}:{rule}:group:{by_key[keys[0]].period_start.date().isoformat()}:{now.isoformat()}",
                        group_payload([by_key[k] for k in keys], days)))
        delivery = deliver_outbox(reg, services.notifier(settings, console), now=now,
                                  kinds_enabled=frozenset(settings.monitoring.alert_on),
                                  budget_seconds=settings.monitoring.alert_budget_seconds)
    return StewardReport(issues=tuple(issues), queued=queued, delivery=delivery)
