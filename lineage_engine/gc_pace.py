"""Space the cyclic garbage collector's full collections out while a crawl runs (issue 13).

CPython (3.11) runs a full collection, which walks every tracked object, about every 100
young collections once the objects that survived them grew by a quarter since the last one.
A crawl batch keeps thousands of objects alive for a while (the rows read ahead, their events,
the registry session's objects), and they count as survivors before they die: the solana crawl
(17,151 rows) ran 12 full collections for 1.2 s of its 9.4 s of main-process CPU, while its
tracked objects grew from 154,000 to 170,000 only. Considering a full collection 10 times less
often (every 1,000 young collections, ``gc`` threshold 2 from 10 to 100) left 3, 0.2 s.

Only when garbage in cycles that lived long enough to be old is freed changes (young garbage
is collected as before); a crawl still considers a full collection about every 9,000 rows
(solana: 195 middle-generation collections for 17,151 rows). Results never change.
Process-wide and thread-safe: the first crawl to enter sets the threshold, the last to leave
restores what was set before.
"""

from __future__ import annotations

import functools
import gc
import threading
from collections.abc import Callable
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")

FULL_COLLECTION_SPACING = 100
"""``gc`` threshold 2 during a crawl: young collections of the middle generation before a full one
is considered (CPython's default: 10)."""

_lock = threading.Lock()
_inside = 0
_saved: tuple[int, int, int] | None = None


def spaced_full_collections(function: Callable[P, R]) -> Callable[P, R]:
    """Run ``function`` with full collections considered :data:`FULL_COLLECTION_SPACING` times less
    often than the process's setting (never more often than it); restore the setting after."""

    @functools.wraps(function)
    def spaced(*args: P.args, **kwargs: P.kwargs) -> R:
        global _inside, _saved  # noqa: PLW0603 - one process-wide setting, counted across threads
        with _lock:
            if _inside == 0:
                _saved = gc.get_threshold()
                young, middle, old = _saved
                gc.set_threshold(young, middle, max(old, FULL_COLLECTION_SPACING))
            _inside += 1
        try:
            return function(*args, **kwargs)
        finally:
            with _lock:
                _inside -= 1
                if _inside == 0 and _saved is not None:
                    gc.set_threshold(*_saved)
                    _saved = None

    return spaced
