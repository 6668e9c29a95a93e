"""SlackNotifier + deliver_outbox against a real local HTTP server and a real SQLite registry."""

from __future__ import annotations

import socket
from datetime import datetime, timedelta, timezone

import pytest

from lineage_engine.alerts.outbox import deliver_outbox
from lineage_engine.alerts.slack import SlackNotifier
from lineage_engine.errors import DeliveryError

NOW = datetime(2024, 3, 14, 9, 30, tzinfo=timezone.utc)
SECRET_PATH = "/services/T0TEST/B0TEST/s3cr3tW3bh00kT0k3n"  # what the webhook fixture serves
TOKEN = SECRET_PATH.rsplit("/", 1)[1]

PAYLOAD = {
    "event": "opened",
    "finding_id": 1,
    "origin": "prod_db.raw.customer_profiles",
    "terminal": "analytics.mart.customer_360",
    "path": ["analytics.mart.customer_360", "analytics.stg.customers", "prod_db.raw.customer_profiles"],
    "regulatory_tags": ["gdpr", "pii"],
    "steward": None,
    "severity": "HIGH",
    "level": "table",
    "opened_at": "2024-03-14T09:00:00+00:00",
}

EXPECTED_BODY = {
    "text": "HIGH: unmasked PII path prod_db.raw.customer_profiles → analytics.mart.customer_360 (2 hops); "
    "steward: none · alert #1 · finding #1 · opened",
    "blocks": [
        {"type": "header", "text": {"type": "plain_text", "text": "HIGH · New unmasked PII path", "emoji": True}},
        {
            "type": "section",
            "fields": [
                {"type": "mrkdwn", "text": "*Origin*\n`prod_db.raw.customer_profiles`"},
                {"type": "mrkdwn", "text": "*Terminal (unmasked)*\n`analytics.mart.customer_360`"},
                {"type": "mrkdwn", "text": "*Severity*\nHIGH"},
                {"type": "mrkdwn", "text": "*Regulatory tags*\ngdpr, pii"},
                {"type": "mrkdwn", "text": "*Steward*\n:warning: no steward"},
                {"type": "mrkdwn", "text": "*Level*\ntable"},
            ],
        },
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": "*Path* (2 hops, origin → terminal)\n`prod_db.raw.customer_profiles` → "
                "`analytics.stg.customers` → `analytics.mart.customer_360`",
            },
        },
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": ":warning: *No steward* is assigned to this origin: nobody owns fixing this path. "
                "Assign one in the classification registry.",
            },
        },
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": "finding #1 · opened 2024-03-14T09:00:00+00:00 · table-level: column lineage "
                    "unknown; some data of the origin reaches the terminal",
                }
            ],
        },
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "alert #1 · finding #1 · opened"}]},
    ],
}


def test_posts_exact_block_kit_payload(webhook, registry):
    registry.enqueue_alert("unmasked_pii", "unmasked_pii:1:opened", PAYLOAD)
    report = deliver_outbox(registry, SlackNotifier(webhook.url), now=NOW)
    assert (report.delivered, report.failed, report.pending) == (1, 0, 0)
    assert [p["path"] for p in webhook.posts] == [SECRET_PATH]
    assert webhook.posts[0]["body"] == EXPECTED_BODY
    assert registry.pending_alerts() == []


def test_500_keeps_alert_then_next_run_delivers_exactly_once(webhook, registry):
    registry.enqueue_alert("unmasked_pii", "unmasked_pii:1:opened", PAYLOAD)
    notifier = SlackNotifier(webhook.url)

    webhook.status, webhook.reply = 500, "internal_error"
    first = deliver_outbox(registry, notifier, now=NOW)
    assert (first.delivered, first.failed, first.pending) == (0, 1, 1)
    [alert] = registry.pending_alerts()
    assert alert.attempts == 1
    assert alert.last_error == "HTTP 500: internal_error"
    assert TOKEN not in alert.last_error and TOKEN not in " ".join(first.errors)
    assert webhook.accepted == []

    webhook.status, webhook.reply = 200, "ok"
    second = deliver_outbox(registry, notifier, now=NOW + timedelta(minutes=15))
    assert (second.delivered, second.failed, second.pending) == (1, 0, 0)
    assert webhook.accepted == [EXPECTED_BODY]

    third = deliver_outbox(registry, notifier, now=NOW + timedelta(minutes=30))
    assert (third.delivered, third.failed, third.pending) == (0, 0, 0)
    assert len(webhook.posts) == 2  # one refused, one accepted, nothing more
    assert webhook.accepted == [EXPECTED_BODY]


def test_failure_does_not_block_later_alerts_and_order_is_oldest_first(webhook, registry):
    for i in range(3):
        registry.enqueue_alert("steward_missing", f"steward_missing:{i}", {"catalog_path": f"db.raw.t{i}"})
    report = deliver_outbox(registry, SlackNotifier(webhook.url), now=NOW)
    assert report.delivered == 3
    assert [p["body"]["blocks"][1]["fields"][0]["text"] for p in webhook.posts] == [
        "*catalog_path*\ndb.raw.t0",
        "*catalog_path*\ndb.raw.t1",
        "*catalog_path*\ndb.raw.t2",
    ]


def test_http_error_status_raises_delivery_error_without_url(webhook):
    webhook.status, webhook.reply = 404, "no_service"
    with pytest.raises(DeliveryError) as info:
        SlackNotifier(webhook.url).send_alert("unmasked_pii", PAYLOAD)
    assert info.value.channel == "slack"
    assert info.value.reason == "HTTP 404: no_service"
    assert TOKEN not in str(info.value)


def test_unreachable_webhook_reason_has_no_secret():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}{SECRET_PATH}"
    notifier = SlackNotifier(url, timeout=2)
    with pytest.raises(DeliveryError) as info:
        notifier.send_alert("unmasked_pii", PAYLOAD)
    assert TOKEN not in str(info.value) and TOKEN not in info.value.reason
    assert "Connection refused" in info.value.reason or "URLError" in info.value.reason
    assert TOKEN not in repr(notifier)


def test_disabled_kind_is_suppressed_not_sent(webhook, registry):
    registry.enqueue_alert("failed_backfill", "failed_backfill:w1", {"window": "w1"})
    registry.enqueue_alert("unmasked_pii", "unmasked_pii:1:opened", PAYLOAD)
    report = deliver_outbox(registry, SlackNotifier(webhook.url), now=NOW, kinds_enabled={"unmasked_pii"})
    assert (report.delivered, report.suppressed, report.pending) == (1, 1, 0)
    [body] = webhook.accepted
    assert body["text"] == EXPECTED_BODY["text"].replace("alert #1", "alert #2")  # the second outbox entry


def test_max_attempts_leaves_exhausted_alerts_pending(webhook, registry):
    registry.enqueue_alert("unmasked_pii", "a", PAYLOAD)
    notifier = SlackNotifier(webhook.url)
    webhook.status = 500
    for minute in range(3):
        deliver_outbox(registry, notifier, now=NOW + timedelta(minutes=minute), max_attempts=2)
    assert len(webhook.posts) == 2
    [alert] = registry.pending_alerts()
    assert alert.attempts == 2
    webhook.status = 200
    report = deliver_outbox(registry, notifier, now=NOW + timedelta(hours=1), max_attempts=2)
    assert (report.delivered, report.exhausted, report.pending) == (0, 1, 1)


def test_exhausted_alerts_do_not_starve_newer_ones(webhook, registry):
    for i in range(3):
        registry.enqueue_alert("steward_missing", f"old:{i}", {"i": i})
        for _ in range(2):
            registry.mark_alert_failed(registry.pending_alerts()[-1].id, "HTTP 500", NOW)
    registry.enqueue_alert("steward_missing", "new", {"i": "new"})
    report = deliver_outbox(registry, SlackNotifier(webhook.url), now=NOW, max_attempts=2, limit=2)
    assert (report.delivered, report.exhausted) == (1, 3)
    assert len(webhook.accepted) == 1


def test_naive_now_rejected(registry):
    with pytest.raises(ValueError, match="aware"):
        deliver_outbox(registry, SlackNotifier("http://127.0.0.1:9/x"), now=datetime(2024, 1, 1))
