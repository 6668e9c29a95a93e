"""Wait on events and progress, never on a wall deadline a slow machine misses.

A test that waits for a subprocess (a service, a crawl) polls a condition and a progress
measure (log events, committed rows). It fails only when the process died, or when
progress stopped for :data:`HANG_SECONDS`: that is a hang, whatever the machine's speed.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

HANG_SECONDS = 900.0
"""No progress for this long is a hang (not slowness): the only time limit tests use."""


def wait_until(condition: Callable[[], T], *, what: str, progress: Callable[[], object] = lambda: None,
               alive: Callable[[], bool] = lambda: True, hang_seconds: float = HANG_SECONDS,
               interval: float = 0.1, detail: Callable[[], str] = lambda: "") -> T:
    """Return ``condition()`` once it is truthy.

    Args:
        condition: polled every ``interval`` seconds.
        what: what is awaited, for the failure message.
        progress: a value that changes while the awaited work advances (a count of log
            events, of committed rows); the hang clock restarts whenever it changes.
        alive: False when the awaited process is gone (the wait fails at once, after a last
            look at ``condition``).
        hang_seconds: seconds without progress that count as a hang.
        detail: text appended to the failure message (a log tail).

    Raises:
        AssertionError: the process died, or no progress for ``hang_seconds``.
    """
    last, since = progress(), time.monotonic()
    while True:
        found = condition()
        if found:
            return found
        if not alive():
            found = condition()
            if found:
                return found
            raise AssertionError(f"gave up waiting for {what}: the process ended\n{detail()}")
        now = progress()
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since > hang_seconds:
            raise AssertionError(f"gave up waiting for {what}: no progress for {hang_seconds:.0f} s (a hang)\n"
                                 f"{detail()}")
        time.sleep(interval)


def json_log_lines(text: str) -> list[dict[str, Any]]:
    """The JSON lines of a log a process is still writing: complete lines only.

    A line read while the process writes it has no newline yet and is cut short; it is left
    for the next read (parsing it failed a CI run at random, a timing-dependent test).
    """
    complete = text[: text.rfind("\n") + 1]
    return [json.loads(line) for line in complete.splitlines() if line.startswith("{")]
