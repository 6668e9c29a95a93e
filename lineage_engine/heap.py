"""Give the C heap's free memory back to the operating system (glibc ``malloc_trim``).

glibc's ``malloc`` keeps memory freed inside its heap for later allocations; only a free
block at the top of the heap goes back to the system by itself. A crawl frees much of what a
batch allocated (query results, Arrow tables, parse results dropped from the caches) while
other objects stay alive above it, so a process's RSS keeps the high-water mark of every
batch: on the first 300,000 rows of the 1M-row history (``benchmarks/crawl_scale.py``) glibc
held 140-190 MiB free from row 175,000 on, 15-18% of the crawl's RSS (issue 13 §3).
``malloc_trim(0)`` returns the free pages of every arena (``madvise``); the blocks stay
valid, so the next allocations reuse them without a system call beyond the page faults.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys
from collections.abc import Callable

_TRIM: Callable[[int], int] | None | bool = False  # False: not looked up yet; None: not glibc


def _malloc_trim() -> Callable[[int], int] | None:
    global _TRIM  # noqa: PLW0603 - looked up once per process
    if _TRIM is False:
        _TRIM = None
        if sys.platform.startswith("linux"):
            try:
                libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
                trim = libc.malloc_trim  # glibc only (musl has none)
                trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
                _TRIM = trim
            except (OSError, AttributeError):
                _TRIM = None
    return _TRIM  # type: ignore[return-value]


def release_free_heap() -> bool:
    """Return the free pages of the C heap to the operating system (``malloc_trim(0)``).

    Nothing allocated is touched; RSS drops by what ``malloc`` held free. Costs a walk over
    the free blocks (milliseconds for a heap of hundreds of MiB).

    Returns:
        True when memory was returned, False when there was none to return or the C library
        is not glibc (macOS, musl: nothing done).
    """
    trim = _malloc_trim()
    return bool(trim(0)) if trim is not None else False
