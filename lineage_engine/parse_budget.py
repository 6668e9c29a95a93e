"""A time budget for one statement's extraction, in any thread or worker process (issue 11 §8).

sqlglot cannot be asked to stop, and a pathological statement (a 150,000-value ``IN`` list)
parses for tens of seconds. :func:`call_with_budget` runs the extraction in the calling
thread and, when the budget runs out, a timer thread raises :class:`ParseBudgetExceeded`
*inside* it (CPython's ``PyThreadState_SetAsyncExc``). That works in the crawl's own
thread (the CLI's main thread, the scheduler's worker thread) and in parse-pool worker
processes alike, where ``SIGALRM`` would work only in a main thread.

One watchdog thread per process (started on first use, again after a fork) watches every
running budget; a call only registers its deadline and removes it (a lock and a dict
entry: a thread started per statement cost about a tenth of a crawl's CPU, issue 13).

Precision: the exception is delivered between interpreter steps. sqlglot's compiled
parser (``sqlglotc``) runs one statement's ``parse`` as one call, so a budget can be
overrun by that call's length (measured on a 150,000-value ``IN`` list: interrupted 1 ms
after a 2 s budget, because most of the time is spent in interpreted code around it).
The exception derives from ``BaseException`` so that no ``except Exception`` on the way
(ours or sqlglot's) swallows it. Extraction is pure, so abandoning it leaves nothing
half-done.
"""

from __future__ import annotations

import ctypes
import itertools
import os
import threading
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class ParseBudgetExceeded(BaseException):  # noqa: N818 - raised into the thread, caught right here
    """Raised inside the extracting thread when its budget ran out; never escapes this module."""


def _raise_in(thread_id: int, exc: type[BaseException] | None) -> None:
    target = ctypes.c_ulong(thread_id)
    ctypes.pythonapi.PyThreadState_SetAsyncExc(target, ctypes.py_object(exc) if exc is not None else None)


class _Watchdog:
    """Raises :class:`ParseBudgetExceeded` into threads whose deadline passed.

    ``running`` maps a call's token to ``(deadline on time.monotonic(), thread id)``; entries
    are added and removed under ``cond``, and the watchdog fires only into an entry still
    there, so a finished call is never interrupted.
    """

    def __init__(self) -> None:
        self.cond = threading.Condition(threading.Lock())
        self.running: dict[int, tuple[float, int]] = {}
        self.waiting_until = float("inf")  # the deadline the watchdog sleeps towards
        self.pid = os.getpid()
        thread = threading.Thread(target=self._watch, name="parse-budget", daemon=True)
        thread.start()

    def _watch(self) -> None:
        with self.cond:
            while True:
                now = time.monotonic()
                for token, (deadline, thread_id) in list(self.running.items()):
                    if deadline <= now:
                        del self.running[token]
                        _raise_in(thread_id, ParseBudgetExceeded)
                self.waiting_until = min((d for d, _ in self.running.values()), default=float("inf"))
                self.cond.wait(None if self.waiting_until == float("inf") else self.waiting_until - now)

    def add(self, token: int, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        with self.cond:
            self.running[token] = (deadline, threading.get_ident())
            if deadline < self.waiting_until:
                self.waiting_until = deadline
                self.cond.notify()

    def remove(self, token: int) -> bool:
        """Remove a call; return False when the watchdog already fired into it."""
        with self.cond:
            return self.running.pop(token, None) is not None


_watchdog: _Watchdog | None = None
_watchdog_lock = threading.Lock()
_tokens = itertools.count()


def _current_watchdog() -> _Watchdog:
    global _watchdog  # noqa: PLW0603 - one per process
    dog = _watchdog
    if dog is None or dog.pid != os.getpid():  # none yet, or inherited across a fork (its thread is gone)
        with _watchdog_lock:
            if _watchdog is None or _watchdog.pid != os.getpid():
                _watchdog = _Watchdog()
            dog = _watchdog
    return dog


def call_with_budget(fn: Callable[[], T], seconds: float | None) -> tuple[T | None, bool]:
    """Call ``fn()`` in this thread; stop it after ``seconds``.

    Args:
        fn: a pure computation (it may be abandoned at any point).
        seconds: the budget (wall clock); None or 0: no budget.

    Returns:
        ``(result, False)`` when ``fn`` finished in time, ``(None, True)`` when it was stopped.

    Raises:
        Whatever ``fn`` raises.
    """
    if not seconds:
        return fn(), False
    dog = _current_watchdog()
    token = next(_tokens)
    thread_id = threading.get_ident()
    try:
        try:
            dog.add(token, seconds)
            result = fn()
        finally:
            if not dog.remove(token):  # from here on the watchdog can no longer fire into this thread
                _raise_in(thread_id, None)  # drop one set but not yet delivered
    except ParseBudgetExceeded:
        dog.remove(token)
        _raise_in(thread_id, None)
        return None, True
    return result, False
