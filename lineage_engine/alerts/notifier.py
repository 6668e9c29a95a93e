"""The ``Notifier`` protocol: where outbox alerts go (Slack, the console, …).

Written for implementers. A notifier sends one alert per call and either succeeds or raises
:class:`~lineage_engine.errors.DeliveryError`; it keeps no state about what was sent. The
outbox (:func:`lineage_engine.alerts.outbox.deliver_outbox`) owns retries and bookkeeping,
so a notifier must not retry on its own beyond what its transport does in one call.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol, runtime_checkable


@runtime_checkable
class Notifier(Protocol):
    """Send one alert of a given kind. Implementations put the technology first (``SlackNotifier``)."""

    def send_alert(self, kind: str, payload: Mapping[str, object]) -> None:
        """Send one alert.

        Args:
            kind: ``unmasked_pii`` | ``failed_backfill`` | ``steward_missing`` (unknown kinds
                must still be sent, with a generic rendering).
            payload: the outbox payload, JSON values only.

        Raises:
            DeliveryError: the alert was not delivered (the reason never holds a secret).
        """
