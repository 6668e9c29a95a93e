"""Where a crawl spends its time: seconds per kind of work, wall clock and CPU.

A :class:`Profile` is handed to :func:`~lineage_engine.pipeline.crawl_once` (and set on a
graph store as ``store.profile``) by ``lineage-engine crawl --profile`` and by
``benchmarks/crawl_scale.py``. Kinds are dotted names, the first part the stage:
``source`` (reading rows), ``parse`` (extraction, cache and workers), ``resolve`` (temp
tables, learned schema), ``graph.<statement>`` (one per Cypher statement of a batch),
``registry.<what>`` (quarantine, crawl state). CPU seconds are the whole process's
(``time.process_time``: every thread, e.g. the graph engine's), so they survive a loaded
machine better than wall seconds; parse workers' CPU is not in them.

Without a profile the crawl pays nothing: callers use :data:`NO_PROFILE`, whose ``timed``
is a no-op.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager


class Profile:
    """Seconds (wall and CPU) and calls accumulated per kind; not thread-safe (one crawl)."""

    enabled = True

    def __init__(self) -> None:
        self.wall: Counter[str] = Counter()
        self.cpu: Counter[str] = Counter()
        self.calls: Counter[str] = Counter()

    @contextmanager
    def timed(self, kind: str) -> Iterator[None]:
        """Add the wall and CPU seconds of the ``with`` body to ``kind`` (also on error)."""
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            yield
        finally:
            self.wall[kind] += time.perf_counter() - wall
            self.cpu[kind] += time.process_time() - cpu
            self.calls[kind] += 1

    def rows(self) -> list[dict[str, object]]:
        """Return one row per kind, most wall seconds first: kind, calls, wall_s, cpu_s (rounded ms)."""
        return [
            {"kind": kind, "calls": self.calls[kind], "wall_s": round(self.wall[kind], 3),
             "cpu_s": round(self.cpu[kind], 3)}
            for kind in sorted(self.wall, key=lambda k: (-self.wall[k], k))
        ]

    def by_stage(self) -> dict[str, tuple[float, float]]:
        """Return ``{stage: (wall_s, cpu_s)}`` summed over the kinds of each stage (``graph.x`` -> ``graph``)."""
        stages: dict[str, tuple[float, float]] = {}
        for kind in self.wall:
            stage = kind.split(".", 1)[0]
            wall, cpu = stages.get(stage, (0.0, 0.0))
            stages[stage] = (wall + self.wall[kind], cpu + self.cpu[kind])
        return stages


class _NoProfile(Profile):
    enabled = False

    @contextmanager
    def timed(self, kind: str) -> Iterator[None]:
        yield


NO_PROFILE: Profile = _NoProfile()
"""A profile that records nothing (the default)."""
