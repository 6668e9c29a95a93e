"""Retries: transient errors only, attempts and waits from ``scheduler.retry_*``, stop cuts waits."""

from __future__ import annotations

import threading
import time

import pytest

from lineage_engine.errors import GraphError, SourceError, TransientGraphError, TransientSourceError
from lineage_engine.retry import call_with_retry
from lineage_engine.settings import SchedulerSettings


class Flaky:
    def __init__(self, errors: list[Exception]) -> None:
        self.errors, self.calls, self.at = list(errors), 0, []

    def __call__(self) -> str:
        self.calls += 1
        self.at.append(time.monotonic())
        if self.errors:
            raise self.errors.pop(0)
        return "done"


def test_transient_errors_are_retried_then_the_last_one_is_raised() -> None:
    policy = SchedulerSettings(retry_attempts=3, retry_backoff_seconds=0.05)
    ok = Flaky([TransientSourceError("s", "network"), TransientGraphError("embedded", "locked")])
    assert call_with_retry(ok, policy) == "done" and ok.calls == 3
    assert min(b - a for a, b in zip(ok.at, ok.at[1:])) >= 0.05

    failing = Flaky([TransientSourceError("s", f"down {i}") for i in range(5)])
    with pytest.raises(TransientSourceError, match="down 2"):
        call_with_retry(failing, policy)
    assert failing.calls == 3

    terminal = Flaky([SourceError("s", "bad password"), GraphError("embedded", "corrupt")])
    with pytest.raises(SourceError):
        call_with_retry(terminal, policy)
    assert terminal.calls == 1  # never retried


def test_exponential_backoff_doubles_and_is_capped() -> None:
    policy = SchedulerSettings(retry_attempts=4, retry_backoff_seconds=0.05, retry_exponential=True,
                               retry_max_backoff_seconds=0.12)
    flaky = Flaky([TransientSourceError("s", "x")] * 3)
    call_with_retry(flaky, policy)
    waits = [b - a for a, b in zip(flaky.at, flaky.at[1:])]
    assert waits[0] >= 0.05 and waits[1] >= 0.1 and 0.12 <= waits[2] < 0.3


def test_a_stop_request_cuts_the_wait_short() -> None:
    policy = SchedulerSettings(retry_attempts=3, retry_backoff_seconds=30)
    stop = threading.Event()
    threading.Timer(0.2, stop.set).start()
    started = time.monotonic()
    with pytest.raises(TransientSourceError):
        call_with_retry(Flaky([TransientSourceError("s", "x")] * 3), policy, stop=stop)
    assert time.monotonic() - started < 5
