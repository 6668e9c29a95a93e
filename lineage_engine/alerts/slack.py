"""Send alerts to a Slack incoming webhook (``monitoring.slack_webhook``).

The webhook URL is a secret: anyone holding it can post to the channel. It is kept in a
private attribute, left out of ``repr``, and scrubbed from every error reason. The SDK's
own logger is silenced because at DEBUG it logs the URL of every request.

One HTTP attempt per call (the SDK's connection-retry handler is off): the outbox retries,
so an alert's ``attempts`` counts real posts.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping

from slack_sdk.webhook import WebhookClient

from lineage_engine.alerts.render import redact_text, render_alert
from lineage_engine.errors import DeliveryError, RateLimitedError

CHANNEL = "slack"

_SDK_LOGGER = logging.getLogger("lineage_engine.alerts.slack_sdk")
_SDK_LOGGER.setLevel(logging.CRITICAL)  # the SDK logs request URLs (our secret) below this
_SDK_LOGGER.propagate = False


class SlackNotifier:
    """Post alerts to a Slack incoming webhook as Block Kit messages."""

    def __init__(self, webhook_url: str, *, timeout: int = 10) -> None:
        """Prepare a client for ``webhook_url`` (no request is made here).

        Args:
            webhook_url: ``https://hooks.slack.com/services/…``; secret.
            timeout: seconds to wait for Slack per request.
        """
        self._url = webhook_url
        # One pause per webhook when Slack answers 429 (the outbox keeps it); no secret in it.
        self.rate_limit_key = "slack:" + hashlib.sha256(webhook_url.encode()).hexdigest()[:16]
        self._client = WebhookClient(webhook_url, timeout=timeout, logger=_SDK_LOGGER, retry_handlers=[])

    def __repr__(self) -> str:
        return "SlackNotifier(webhook_url='***')"

    def _scrub(self, text: str) -> str:
        if self._url:
            text = text.replace(self._url, "[webhook]")
        return redact_text(text)[:500]

    def send_alert(self, kind: str, payload: Mapping[str, object]) -> None:
        """Render and post one alert.

        The message ends with the finding id and the alert id (:func:`alert_ids`), in its
        fallback text and as a context block.

        Raises:
            RateLimitedError: Slack answered 429; ``retry_after`` from its ``Retry-After``.
            DeliveryError: ``channel='slack'``; Slack answered outside 2xx (reason
                ``HTTP <status>: <body>``) or the request failed (timeout, refused, TLS).
                The reason never contains the webhook URL.
        """
        text, blocks = render_alert(kind, payload)
        ids = alert_ids(kind, payload)
        if ids:  # who received it can quote them; duplicates (see the outbox) show the same ids
            text = f"{text} · {ids}"
            blocks = [*blocks, {"type": "context", "elements": [{"type": "mrkdwn", "text": ids}]}]
        try:
            response = self._client.send(text=text, blocks=blocks)
        except Exception as exc:  # noqa: BLE001 - any transport failure is a failed delivery
            raise DeliveryError(CHANNEL, self._scrub(f"{type(exc).__name__}: {exc}")) from None
        if response.status_code == 429:
            wait = _retry_after(response.headers)
            raise RateLimitedError(CHANNEL, f"HTTP 429: rate limited; retry after {wait:g} s", wait)
        if not 200 <= response.status_code < 300:
            body = (response.body or "").strip()
            raise DeliveryError(CHANNEL, self._scrub(f"HTTP {response.status_code}: {body or 'no body'}"))


GROUPED_ITEMS: Mapping[str, tuple[str, str]] = {
    "unmasked_pii": ("finding", "findings"),  # registry/findings.group_alert_payload
    "drift": ("first arrival", "first arrivals"),  # access/service.drift_group_payload: drift events, no finding
    "steward_missing": ("asset", "assets"),  # stewards.group_payload: assets of one rule
}
"""What a grouped alert of each outbox kind stands for (singular, plural), named in its footer."""


def alert_ids(kind: str, payload: Mapping[str, object]) -> str:
    """Return ``alert #34 · finding #12 · opened`` from an outbox payload, or "" when it names neither.

    ``finding_id`` is the findings ledger's id, ``alert_id`` the outbox entry's id (one per
    finding event: opened, escalated, realert; :func:`lineage_engine.alerts.outbox.deliver_outbox`
    adds it), ``event`` the event's kind. A grouped alert names how many items it stands for, and
    what they are by the alert's ``kind`` (:data:`GROUPED_ITEMS`): ``5 findings`` for findings,
    ``40 first arrivals`` for drift (drift events are not findings); another kind says ``N grouped``.
    """
    parts = [f"{label} #{payload[key]}" for key, label in (("alert_id", "alert"), ("finding_id", "finding"))
             if payload.get(key) is not None]
    count = payload.get("grouped")
    if isinstance(count, int) and not isinstance(count, bool):  # one alert for many items of one origin
        one, many = GROUPED_ITEMS.get(kind, ("grouped", "grouped"))
        parts.append(f"{count:,} {one if count == 1 else many}")
    if not parts:
        return ""
    event = payload.get("event")
    return " · ".join([*parts, *([event] if isinstance(event, str) and event else [])])


def _retry_after(headers: Mapping[str, object] | None) -> float:
    """Seconds to wait from a 429's ``Retry-After`` (seconds form; 1 s when absent or unreadable)."""
    raw = headers.get("retry-after") or headers.get("Retry-After") if headers else None
    if isinstance(raw, list | tuple):
        raw = raw[0] if raw else None
    try:
        return max(0.0, min(float(str(raw)), 3600.0))
    except (TypeError, ValueError):
        return 1.0
