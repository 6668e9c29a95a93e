"""Alert outbox: dedupe, oldest first, delivered leaves, failed stays with its error."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from lineage_engine.errors import RegistryError
from lineage_engine.registry import Registry

T0 = datetime(2024, 3, 14, 9, 0, tzinfo=timezone.utc)


def test_enqueue_alert_dedupes_on_key(registry: Registry) -> None:
    payload = {"window": ["2024-03-01T00:00:00+00:00", "2024-03-02T00:00:00+00:00"], "attempts": 3}
    assert registry.enqueue_alert("failed_backfill", "failed_backfill:2024-03-01", payload) is True
    assert registry.enqueue_alert("failed_backfill", "failed_backfill:2024-03-01", {"other": 1}) is False
    [alert] = registry.pending_alerts()
    assert (alert.kind, alert.dedupe_key, alert.payload, alert.attempts, alert.last_error) == (
        "failed_backfill", "failed_backfill:2024-03-01", payload, 0, None
    )
    assert alert.created_at.tzinfo == timezone.utc
    assert abs(datetime.now(timezone.utc) - alert.created_at) < timedelta(minutes=1)


def test_payload_must_be_json(registry: Registry) -> None:
    with pytest.raises(ValueError, match="not JSON-serialisable"):
        registry.enqueue_alert("steward_missing", "k", {"at": T0})
    assert registry.pending_alerts() == []


def test_pending_delivered_failed(registry: Registry) -> None:
    for n in range(3):
        registry.enqueue_alert("steward_missing", f"steward_missing:a.b.t{n}", {"n": n})
    first, second, third = registry.pending_alerts()
    assert [a.payload["n"] for a in (first, second, third)] == [0, 1, 2]
    assert [a.payload["n"] for a in registry.pending_alerts(limit=2)] == [0, 1]

    registry.mark_alert_failed(first.id, "slack: rate_limited " + "x" * 3000, T0)
    registry.mark_alert_failed(first.id, "slack: channel_not_found", T0 + timedelta(minutes=1))
    registry.mark_alert_delivered(second.id, T0 + timedelta(minutes=2))

    pending = registry.pending_alerts()
    assert [a.id for a in pending] == [first.id, third.id]
    assert (pending[0].attempts, pending[0].last_error, pending[0].last_attempt_at) == (
        2, "slack: channel_not_found", T0 + timedelta(minutes=1)
    )
    registry.mark_alert_failed(third.id, "e" * 3000, T0)
    assert len(registry.pending_alerts()[1].last_error or "") == 2000

    registry.mark_alert_delivered(first.id, T0 + timedelta(minutes=3))
    registry.mark_alert_delivered(third.id, T0 + timedelta(minutes=3))
    assert registry.pending_alerts() == []
    # a delivered key still dedupes: the same event is never sent twice
    assert registry.enqueue_alert("steward_missing", "steward_missing:a.b.t0", {"n": 0}) is False


def test_unknown_alert_id(registry: Registry) -> None:
    with pytest.raises(RegistryError, match="no outbox alert with id 999"):
        registry.mark_alert_delivered(999, T0)
    with pytest.raises(ValueError, match="timezone-aware"):
        registry.mark_alert_failed(1, "x", datetime(2024, 1, 1))


def test_enqueue_alert_group_records_every_member_and_sends_one(registry: Registry) -> None:
    alerts = [(f"steward_missing:no_steward:a.b.t{n}", {"n": n}) for n in range(5)]
    assert registry.enqueue_alert("steward_missing", alerts[0][0], alerts[0][1]) is True  # alerted before
    group = registry.enqueue_alert_group(
        "steward_missing", alerts, group_above=3,
        group=lambda keys: ("steward_missing:group:x", {"grouped": len(keys), "first": keys[0]}))
    assert group == 1
    pending = registry.pending_alerts()
    assert [(a.dedupe_key, a.payload) for a in pending] == [
        (alerts[0][0], {"n": 0}), ("steward_missing:group:x", {"grouped": 4, "first": alerts[1][0]})]
    again = registry.enqueue_alert_group("steward_missing", alerts, group_above=3,
                                         group=lambda keys: ("steward_missing:group:y", {"grouped": len(keys)}))
    assert again == 0 and len(registry.pending_alerts()) == 2  # the grouped members are recorded
    few = [(f"steward_missing:no_steward:a.b.u{n}", {"n": n}) for n in range(3)]
    assert registry.enqueue_alert_group("steward_missing", few, group_above=3, group=lambda keys: ("g", {})) == 3
