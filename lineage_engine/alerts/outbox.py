"""Deliver the registry's alert outbox through a :class:`Notifier` (design §7).

Alerts are written to the outbox in the same transaction as the finding that causes them,
so a crash never loses one. :func:`deliver_outbox` then sends each pending alert:

1. ``begin_alert_attempt`` commits "attempt started" (attempts + 1) *before* the post;
2. the notifier posts; the message names the finding id and the alert id (the outbox
   entry: one per finding event), so a reader can tell a repeat from a new event;
3. ``mark_alert_delivered`` (or ``mark_alert_failed`` with the reason) records the outcome.

Delivery is **at least once**; duplicates happen only after a timeout or a crash during a
post. Slack incoming webhooks take no idempotency key and cannot be asked what they
received, so a post that Slack accepted after our timeout, or just before the process was
killed, cannot be told from one that never arrived: the alert is sent again, with the same
ids. Such an alert is found with the "attempt started" marker still set and counted as
``uncertain`` (and logged) when it is retried.

Rate limits: a :class:`~lineage_engine.errors.RateLimitedError` (HTTP 429) stops sending
for its ``Retry-After``: the run waits that long when its budget allows and sends the
refused alert first, else it stops and leaves the rest pending for the next run (a pause
outlasting the run is kept for later runs of the same process). Time: a run sends for at most ``budget_seconds``
(``monitoring.alert_budget_seconds``) plus one request's timeout, so a dead Slack never
holds the scheduler; what is left stays pending and is counted as ``deferred``.

Disabled kinds (not in ``monitoring.alert_on``) are *marked delivered without sending*
and counted as ``suppressed``: leaving them pending would let them fill every
oldest-first batch and starve the enabled kinds. The finding stays in the ledger either
way; only the notification is skipped.
"""

from __future__ import annotations

import json
import logging
import time
from collections import Counter, deque
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from lineage_engine.alerts.notifier import Notifier
from lineage_engine.errors import DeliveryError, RateLimitedError

log = logging.getLogger(__name__)

COUNT_CAP = 10_000
"""The ``pending`` count of a report is exact up to this many alerts."""

ATTEMPT_IN_FLIGHT = "attempt started, outcome not recorded (the process stopped during the post)"
"""``last_error`` of an alert while it is being posted (``begin_alert_attempt``)."""

DEFAULT_BUDGET_SECONDS = 30.0
"""Default of ``monitoring.alert_budget_seconds``."""

_RATE_LIMIT_RETRIES = 3
"""Times one alert refused with 429 is tried again in the same run, after the pause."""

_PAUSED: dict[object, float] = {}
"""Channel (a notifier's ``rate_limit_key``, else the notifier) -> monotonic time before which
nothing is sent to it (a 429's Retry-After), kept across the runs of one process."""


class AlertOutbox(Protocol):
    """The part of the registry the outbox uses (``lineage_engine.registry.Registry``)."""

    def pending_alerts(self, limit: int = 100) -> Sequence[Any]:
        """Undelivered alerts, oldest first: ``id, kind, dedupe_key, payload, created_at, attempts, last_error``."""

    def begin_alert_attempt(self, alert_id: int, at: datetime) -> None:
        """Commit "attempt started" (attempts + 1) before the post."""

    def mark_alert_delivered(self, alert_id: int, at: datetime, *, attempted: bool = False) -> None:
        """Record a successful send."""

    def mark_alert_failed(self, alert_id: int, error: str, at: datetime, *, attempted: bool = False) -> None:
        """Record a failed send (last_error); the alert stays pending."""


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
        uncertain: alerts retried whose previous post had no recorded outcome (the
            process stopped during it): the channel may show them twice.
        deferred: sendable alerts left pending because the time budget ran out or the
            channel asked to wait longer than the budget allowed.
        rate_limited_for: the longest ``Retry-After`` (seconds) met this run; 0 for none.
    """

    delivered: int = 0
    failed: int = 0
    pending: int = 0
    suppressed: int = 0
    exhausted: int = 0
    errors: tuple[str, ...] = field(default=())
    uncertain: int = 0
    deferred: int = 0
    rate_limited_for: float = 0.0


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
    budget_seconds: float | None = DEFAULT_BUDGET_SECONDS,
    monotonic: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> DeliveryReport:
    """Send pending alerts oldest first; mark each delivered or failed. At least once.

    Args:
        registry: the registry (its outbox methods).
        notifier: where alerts go.
        now: aware UTC time recorded on attempt, delivered and failed marks.
        max_attempts: skip alerts that already failed this many times (they stay pending
            for an operator); None retries forever.
        limit: at most this many alerts are sent or suppressed per run.
        kinds_enabled: kinds to send; others are suppressed (see module docstring).
            None sends every kind.
        budget_seconds: no post starts after this many seconds of the run (a post already
            started ends within its own timeout); None: no budget.
        monotonic, sleep: the clock and the wait (seconds), for tests.

    Returns:
        Counts of what happened; see :class:`DeliveryReport`.

    Raises:
        ValueError: ``now`` is naive.
        RegistryError: a registry read or mark failed; alerts sent before it are safe,
            the one being marked may be sent again next run.
    """
    if now.tzinfo is None:
        raise ValueError("deliver_outbox needs an aware UTC 'now'")
    started = monotonic()
    delivered = suppressed = exhausted = handled = uncertain = deferred = 0
    waited_for = 0.0
    failures: dict[int, str] = {}  # alert id -> "<dedupe_key>: <reason>" of its last failed attempt this run
    queue = deque(sorted(_fetch(registry, limit, max_attempts), key=lambda a: (a.created_at, a.id)))
    requeued: Counter[int] = Counter()
    channel = getattr(notifier, "rate_limit_key", None) or id(notifier)
    paused_until = _PAUSED.get(channel, 0.0)
    while queue:
        alert = queue.popleft()
        again = alert.id in requeued
        if max_attempts is not None and alert.attempts >= max_attempts and not again:
            exhausted += 1
            continue
        if handled >= limit and not again:
            break
        if kinds_enabled is not None and alert.kind not in kinds_enabled:
            handled += 1
            registry.mark_alert_delivered(alert.id, now)
            suppressed += 1
            log.info("alert %s (%s) suppressed: kind not in monitoring.alert_on", alert.dedupe_key, alert.kind)
            continue
        left = None if budget_seconds is None else budget_seconds - (monotonic() - started)
        wait = paused_until - monotonic()
        if wait > 0 and (left is None or wait < left):
            sleep(wait)  # the channel asked for a pause that fits in this run
        elif wait > 0 or (left is not None and left <= 0):
            deferred += 0 if again else 1
            continue
        handled += 0 if again else 1
        if alert.last_error == ATTEMPT_IN_FLIGHT and not again:
            uncertain += 1
            log.warning("alert %s (%s): the previous post's outcome is unknown (the process stopped during it); "
                        "sending again, the channel may show it twice", alert.dedupe_key, alert.kind)
        registry.begin_alert_attempt(alert.id, now)
        try:
            notifier.send_alert(alert.kind, {**_payload(alert), "alert_id": alert.id})
        except RateLimitedError as exc:
            reason = exc.reason
            paused_until = monotonic() + exc.retry_after
            _PAUSED[channel] = paused_until
            waited_for = max(waited_for, exc.retry_after)
            if requeued[alert.id] < _RATE_LIMIT_RETRIES:
                requeued[alert.id] += 1
                queue.appendleft(alert)  # not delivered: first in line once the pause is over
        except DeliveryError as exc:
            reason = exc.reason
        except Exception as exc:  # noqa: BLE001 - a poison alert must not block the outbox
            log.exception("alert %s (%s) could not be rendered or sent", alert.dedupe_key, alert.kind)
            reason = f"internal error ({type(exc).__name__}); see the service log"
        else:
            registry.mark_alert_delivered(alert.id, now, attempted=True)
            failures.pop(alert.id, None)
            delivered += 1
            continue
        registry.mark_alert_failed(alert.id, reason, now, attempted=True)
        failures[alert.id] = f"{alert.dedupe_key}: {reason}"
        log.warning("alert %s (%s) not delivered: %s", alert.dedupe_key, alert.kind, reason)
    if deferred:
        log.warning("%d alerts left pending for the next run: the delivery budget (monitoring.alert_budget_seconds) "
                    "ran out or the channel asked to wait", deferred)
    failed, errors = len(failures), list(failures.values())
    pending = len(registry.pending_alerts(limit=COUNT_CAP))
    return DeliveryReport(
        delivered=delivered,
        failed=failed,
        pending=pending,
        suppressed=suppressed,
        exhausted=exhausted,
        errors=tuple(errors),
        uncertain=uncertain,
        deferred=deferred,
        rate_limited_for=waited_for,
    )
