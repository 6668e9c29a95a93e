"""Retry transient failures with tenacity, as ``scheduler.retry_*`` configures (design §10).

Only errors marked :class:`~lineage_engine.errors.Transient` are retried (network, warehouse
timeouts, a busy graph or registry); every other error is raised at once. Defaults: 3
attempts, 5 s between them (``retry_exponential`` doubles the wait each time, capped by
``retry_max_backoff_seconds``). A stop request (SIGTERM) cuts a wait short and gives up.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt, stop_when_event_set
from tenacity import wait_exponential, wait_fixed

from lineage_engine.errors import Transient

if TYPE_CHECKING:
    from lineage_engine.settings import SchedulerSettings

T = TypeVar("T")
log = logging.getLogger(__name__)


def is_transient(exc: BaseException) -> bool:
    """Return True for errors a retry may cure (those marked :class:`Transient`)."""
    return isinstance(exc, Transient)


def retrying(settings: SchedulerSettings, *, stop: threading.Event | None = None, what: str = "job") -> Retrying:
    """Return a tenacity ``Retrying`` for one unit of work.

    Args:
        settings: ``settings.scheduler`` (attempts, backoff seconds, exponential, cap).
        stop: when set, the current wait ends and no further attempt is made.
        what: names the work in the retry log line, e.g. ``crawl window [...)``.

    Returns:
        A ``Retrying`` that re-raises the last error when the attempts are used up.
    """
    wait = (wait_exponential(multiplier=settings.retry_backoff_seconds, min=settings.retry_backoff_seconds,
                             max=max(settings.retry_max_backoff_seconds, settings.retry_backoff_seconds))
            if settings.retry_exponential else wait_fixed(settings.retry_backoff_seconds))
    halt = stop_after_attempt(settings.retry_attempts)
    if stop is not None:
        halt = halt | stop_when_event_set(stop)

    def before_sleep(state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        log.warning(
            "%s failed (attempt %d of %d), retrying in %.1f s: %s", what, state.attempt_number,
            settings.retry_attempts, state.next_action.sleep if state.next_action else 0.0, error,
            extra={"event": "retry", "what": what, "attempt": state.attempt_number,
                   "attempts": settings.retry_attempts},
        )

    def sleep(seconds: float) -> None:
        if stop is None:
            threading.Event().wait(seconds)
        else:
            stop.wait(seconds)

    return Retrying(stop=halt, wait=wait, retry=retry_if_exception(is_transient), reraise=True,
                    before_sleep=before_sleep, sleep=sleep)


def call_with_retry(fn: Callable[[], T], settings: SchedulerSettings, *, stop: threading.Event | None = None,
                    what: str = "job") -> T:
    """Call ``fn`` under :func:`retrying`; return its result or raise its last error.

    Raises:
        Exception: whatever ``fn`` raised last: a non-transient error at once, a transient
            one after ``retry_attempts`` attempts (or earlier when ``stop`` is set).
    """
    return retrying(settings, stop=stop, what=what)(fn)
