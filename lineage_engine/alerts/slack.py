"""Send alerts to a Slack incoming webhook (``monitoring.slack_webhook``).

The webhook URL is a secret: anyone holding it can post to the channel. It is kept in a
private attribute, left out of ``repr``, and scrubbed from every error reason. The SDK's
own logger is silenced because at DEBUG it logs the URL of every request.

One HTTP attempt per call (the SDK's connection-retry handler is off): the outbox retries,
so an alert's ``attempts`` counts real posts.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from slack_sdk.webhook import WebhookClient

from lineage_engine.alerts.render import redact_text, render_alert
from lineage_engine.errors import DeliveryError

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
        self._client = WebhookClient(webhook_url, timeout=timeout, logger=_SDK_LOGGER, retry_handlers=[])

    def __repr__(self) -> str:
        return "SlackNotifier(webhook_url='***')"

    def _scrub(self, text: str) -> str:
        if self._url:
            text = text.replace(self._url, "[webhook]")
        return redact_text(text)[:500]

    def send_alert(self, kind: str, payload: Mapping[str, object]) -> None:
        """Render and post one alert.

        Raises:
            DeliveryError: ``channel='slack'``; Slack answered outside 2xx (reason
                ``HTTP <status>: <body>``) or the request failed (timeout, refused, TLS).
                The reason never contains the webhook URL.
        """
        text, blocks = render_alert(kind, payload)
        try:
            response = self._client.send(text=text, blocks=blocks)
        except Exception as exc:  # noqa: BLE001 - any transport failure is a failed delivery
            raise DeliveryError(CHANNEL, self._scrub(f"{type(exc).__name__}: {exc}")) from None
        if not 200 <= response.status_code < 300:
            body = (response.body or "").strip()
            raise DeliveryError(CHANNEL, self._scrub(f"HTTP {response.status_code}: {body or 'no body'}"))
