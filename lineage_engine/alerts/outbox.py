"""Deliver the registry's alert outbox through a :class:`Notifier` (design §7).

Alerts are written to the outbox in the same transaction as the finding that causes them,
so a crash never loses one. :func:`deliver_outbox` then sends each pending alert and marks
it delivered. Delivery is **at least once**, not exactly once: if the process dies (or the
registry write fails) after Slack accepted a message and before ``mark_alert_delivered``
commits, the next run sends that alert again. The window is one registry write long;
Slack incoming webhooks take no idempotency key, so it cannot be closed from this side.
A failed send is recorded (``attempts`` + 1, ``last_error``) and retried on the next run.

Disabled kinds (not in ``monitoring.alert_on``) are *marked delivered without sending*
and counted as ``suppressed``: leaving them pending would let them fill every
oldest-first batch and starve the enabled kinds. The finding stays in the ledger either
way; only the notification is skipped. (The registry has no field for a note, so the
ledger shows them as delivered at that time; see the report's ``suppressed`` count.)
"""

from __future__ import annotations

import json
import logging
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from lineage_engine.alerts.notifier import Notifier
from lineage_engine.errors import DeliveryError

log = logging.getLogger(__name__)

COUNT_CAP = 10_000
"""The ``pending`` count of a report is exact up to this many alerts."""


class AlertOutbox(Protocol):
    """The part of the registry the outbox uses (``lineage_engine.registry.Registry``)."""

    def pending_alerts(self, limit: int = 100) -> Sequence[Any]:
        """Undelivered alerts, oldest first: ``id, kind, dedupe_key, payload, created_at, attempts, last_error``."""

    def mark_alert_delivered(self, alert_id: int, at: datetime) -> None:
        """Record a successful send."""

    def mark_alert_failed(self, alert_id: int, error: str, at: datetime) -> None:
        """Record a failed send (attempts + 1, last_error); the alert stays pending."""


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    """What one :func:`deliver_outbox` run did.

    Attributes:
        delivered: alerts sent and marked delivered.
        failed: alerts whose send failed this run (still pending).
        pending: alerts still undelivered after the run (exact up to :data:`COUNT_CAP`).
        suppressed: alerts of disabled kinds marked delivered without sending.
        exhausted: pending alerts skipped because they reached ``max_attempts``.
        errors: one ``"<dedupe_key>: <reason>"`` per failure, secrets excluded.
    """

    delivered: int = 0
    failed: int = 0
    pending: int = 0
    suppressed: int = 0
    exhausted: int = 0
    errors: tuple[str, ...] = field(default=())


def _payload(alert: Any) -> Mapping[str, object]:
    payload = alert.payload
    if isinstance(payload, str | bytes):
        payload = json.loads(payload)
    return payload if isinstance(payload, Mapping) else {"payload": payload}


def _fetch(registry: AlertOutbox, limit: int, max_attempts: int | None) -> list[Any]:
    """Return up to ``limit`` sendable alerts, widening the window past exhausted ones."""
    window = limit
    while True:
        batch = list(registry.pending_alerts(limit=window))
        sendable = [a for a in batch if max_attempts is None or a.attempts < max_attempts]
        if len(sendable) >= limit or len(batch) < window:
            return batch
        window *= 2


def deliver_outbox(
    registry: AlertOutbox,
    notifier: Notifier,
    *,
    now: datetime,
    max_attempts: int | None = None,
    limit: int = 100,
    kinds_enabled: Collection[str] | None = None,
) -> DeliveryReport:
    """Send pending alerts oldest first; mark each delivered or failed. At least once.

    Args:
        registry: the registry (its outbox methods).
        notifier: where alerts go.
        now: aware UTC time recorded on delivered/failed marks.
        max_attempts: skip alerts that already failed this many times (they stay pending
            for an operator); None retries forever.
        limit: at most this many alerts are sent or suppressed per run.
        kinds_enabled: kinds to send; others are suppressed (see module docstring).
            None sends every kind.

    Returns:
        Counts of what happened; see :class:`DeliveryReport`.

    Raises:
        ValueError: ``now`` is naive.
        RegistryError: a registry read or mark failed; alerts sent before it are safe,
            the one being marked may be sent again next run.
    """
    if now.tzinfo is None:
        raise ValueError("deliver_outbox needs an aware UTC 'now'")
    delivered = failed = suppressed = exhausted = handled = 0
    errors: list[str] = []
    batch = sorted(_fetch(registry, limit, max_attempts), key=lambda a: (a.created_at, a.id))
    for alert in batch:
        if max_attempts is not None and alert.attempts >= max_attempts:
            exhausted += 1
            continue
        if handled >= limit:
            break
        handled += 1
        if kinds_enabled is not None and alert.kind not in kinds_enabled:
            registry.mark_alert_delivered(alert.id, now)
            suppressed += 1
            log.info("alert %s (%s) suppressed: kind not in monitoring.alert_on", alert.dedupe_key, alert.kind)
            continue
        try:
            notifier.send_alert(alert.kind, _payload(alert))
        except DeliveryError as exc:
            reason = exc.reason
        except Exception as exc:  # noqa: BLE001 - a poison alert must not block the outbox
            log.exception("alert %s (%s) could not be rendered or sent", alert.dedupe_key, alert.kind)
            reason = f"internal error ({type(exc).__name__}); see the service log"
        else:
            registry.mark_alert_delivered(alert.id, now)
            delivered += 1
            continue
        registry.mark_alert_failed(alert.id, reason, now)
        failed += 1
        errors.append(f"{alert.dedupe_key}: {reason}")
        log.warning("alert %s (%s) not delivered: %s", alert.dedupe_key, alert.kind, reason)
    pending = len(registry.pending_alerts(limit=COUNT_CAP))
    return DeliveryReport(
        delivered=delivered,
        failed=failed,
        pending=pending,
        suppressed=suppressed,
        exhausted=exhausted,
        errors=tuple(errors),
    )
