"""A time budget for one statement's extraction, in any thread or worker process (issue 11 §8).

sqlglot cannot be asked to stop, and a pathological statement (a 150,000-value ``IN`` list)
parses for tens of seconds. :func:`call_with_budget` runs the extraction in the calling
thread and, when the budget runs out, a timer thread raises :class:`ParseBudgetExceeded`
*inside* it (CPython's ``PyThreadState_SetAsyncExc``). That works in the crawl's own
thread (the CLI's main thread, the scheduler's worker thread) and in parse-pool worker
processes alike, where ``SIGALRM`` would work only in a main thread.

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
import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class ParseBudgetExceeded(BaseException):  # noqa: N818 - raised into the thread, caught right here
    """Raised inside the extracting thread when its budget ran out; never escapes this module."""


def _raise_in(thread_id: int, exc: type[BaseException] | None) -> None:
    target = ctypes.c_ulong(thread_id)
    ctypes.pythonapi.PyThreadState_SetAsyncExc(target, ctypes.py_object(exc) if exc is not None else None)


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
    thread_id = threading.get_ident()
    lock = threading.Lock()
    running = [True]

    def expire() -> None:
        with lock:
            if running[0]:
                _raise_in(thread_id, ParseBudgetExceeded)

    timer = threading.Timer(seconds, expire)
    timer.daemon = True
    try:
        try:
            timer.start()
            result = fn()
        finally:
            with lock:  # from here on the timer can no longer fire into this thread
                running[0] = False
                _raise_in(thread_id, None)  # drop one set but not yet delivered
            timer.cancel()
    except ParseBudgetExceeded:
        with lock:
            running[0] = False
            _raise_in(thread_id, None)
        timer.cancel()
        return None, True
    return result, False
