"""Parse a crawl's rows in a worker process while the crawl applies the rows before them (issue 9, 13).

Extraction is pure, but column lineage of a row depends on the columns the crawl learned
from the rows before it (:class:`~lineage_engine.parsing.learned_schema.CrawlSchema`), so
rows cannot simply be parsed out of order. The crawl hands each batch to the workers one
batch *ahead* (:class:`Prefetcher`): while its own process merges batch N into the graph and
registry, a worker parses batch N+1. Every result carries the schema answers it used
(:class:`~lineage_engine.parsing.learned_schema.RecordingSchema`), and the crawl, walking the
batch in history order, uses a worker's result only when the schema of that moment still
gives the same answers (:func:`~lineage_engine.parsing.learned_schema.same_answers`: the rule
that keeps the parse cache exact); otherwise it extracts the row again itself. So the graph,
the quarantine and the watermark are identical with any number of workers; only the time
differs.

One worker (``telemetry.parse_workers: 2``, the default on two cores or more: the crawl's
process and one worker) *follows* the crawl: it is given every row the crawl parses, in
order, learns columns from each as the crawl does (its own
:class:`~lineage_engine.parsing.learned_schema.LearnedSchema` and
:class:`~lineage_engine.parse_cache.ParseCache`), and so answers as the crawl will when it
reaches the row, however far ahead it runs. It is given the crawl's learned schema at start,
and again whenever the crawl refused one of its results (its schema went another way, e.g. a
row the crawl's process failed on); the batch after such a refusal is parsed in step.

Several workers (``parse_workers`` 3 or more) each parse a chunk of the batch against a
snapshot of the crawl's learned schema taken when the batch was handed out, learning within
their chunk only: rows that need columns a row of an earlier chunk or of the batch before
defined are refused and parsed again by the crawl. Each chunk carries only the part of the
schema it can ask about (:func:`state_for`: the datasets whose name appears in one of its
texts). A dataset left out that a statement does ask about (a name built at run time) is
answered "unknown" in the worker; the crawl's check then finds a different answer and
extracts that row again itself: slower, never different.

Workers are separate processes (``spawn``: safe beside the driver threads of Neo4j and the
scheduler), started once per crawl and given the options, temp patterns and catalog
snapshot once (pool initializer). A worker that fails (a broken pool, an unexpected error)
only costs time: the crawl logs a warning and parses in its own process from there on.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import re
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from typing import TYPE_CHECKING, Any, NamedTuple

from lineage_engine.model import QueryRecord, split_id
from lineage_engine.parse_cache import Answers, Extracted, ParseCache, extract_record, timeout_result
from lineage_engine.parse_store import encode, storable
from lineage_engine.parsing.learned_schema import CrawlSchema, LearnedSchema
from lineage_engine.parsing.schema import SchemaProvider
from lineage_engine.profiling import NO_PROFILE, Profile

if TYPE_CHECKING:
    from lineage_engine.crawl_options import CrawlOptions

__all__ = ["Answers", "Extracted", "ParsePool", "Prefetcher", "default_workers", "extract_record",
           "state_for", "timeout_result"]

_log = logging.getLogger(__name__)


def default_workers() -> int:
    """Return the ``telemetry.parse_workers`` default: 2 (the crawl's process and one worker)
    when this process may run on two cores or more, else 1 (parse in the crawl's process)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    return 2 if cores >= 2 else 1


class PoolRow(NamedTuple):
    """What a worker needs of a row (:meth:`ParseCache.key` and :func:`extract_record` read these)."""

    query_text: str
    database_name: str | None
    schema_name: str | None
    query_parameterized_hash: str | None

    @classmethod
    def of(cls, record: QueryRecord) -> PoolRow:
        """Return the row's text, session defaults and parameterized hash."""
        return cls(record.query_text, record.database_name, record.schema_name, record.query_parameterized_hash)


Planned = tuple[int, QueryRecord, bool]
"""A row handed to the workers: its index in the batch, the row, and whether the crawl learns
columns from it (a materializing statement; a read-only one kept for its reads does not)."""


class ParsePool:
    """Worker processes that extract rows for a crawl (see the module docstring).

    Use as a context manager or call :meth:`close`.
    """

    def __init__(self, workers: int, options: CrawlOptions, patterns: Sequence[str],
                 catalog: SchemaProvider | None, *, columns: bool) -> None:
        """Start ``workers`` processes (``spawn``); nothing is parsed yet.

        Args:
            workers: processes to start (1 follows the crawl's learned schema; more take snapshots).
            options, patterns: as for :func:`extract_record`.
            catalog: the crawl's catalog snapshot (pickled once per worker); None for none.
            columns: column lineage on (the crawl always asks for it today).
        """
        self.workers = workers
        self._executor = ProcessPoolExecutor(
            max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_worker, initargs=(os.getpid(), options, tuple(patterns), catalog, columns),
        )

    def submit(self, rows: Sequence[Planned], learned_state: list[list[object]] | None,
               reset: bool, forget: bool = False) -> Future[list[tuple[int, Extracted]]]:
        """Have one worker parse ``rows`` in order, learning columns from those marked so.

        Args:
            rows: ``(index, row, learns)`` in history order.
            learned_state: ``LearnedSchema.to_state()`` to start from when ``reset``.
            reset: start from ``learned_state``; False: go on from the schema the worker
                reached with the rows it parsed before (one worker only: tasks run in order).
            forget: also empty the worker's parse cache first (the crawl may not have seen
                results the worker returned before: a batch handed out again).

        Returns:
            A future of ``(index, (result, answers))`` for the rows the worker extracted
            (not those its own parse cache answered: the crawl's cache holds them too).
        """
        return self._executor.submit(_parse_rows, [(i, PoolRow.of(r), learns) for i, r, learns in rows],
                                     learned_state, reset, forget)

    def close(self) -> None:
        """Stop the workers (pending tasks are cancelled)."""
        self._executor.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> ParsePool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Prefetched:
    """The workers' results for one batch, served by index in history order as they arrive."""

    def __init__(self, futures: Sequence[tuple[int, Future[list[tuple[int, Extracted]]]]],
                 owner: Prefetcher) -> None:
        """Wrap ``(first index, future)`` pairs in index order."""
        self._pending = list(futures)
        self._ready: dict[int, Extracted] = {}
        self._owner = owner

    def get(self, index: int) -> Extracted | None:
        """Return the worker's extraction of the batch's row ``index``, or None (parse it here).

        Waits for the task holding the row; a task that failed makes the crawl parse in its
        own process from here on (logged once).
        """
        while self._pending and self._pending[0][0] <= index and not self._owner.failed:
            _, future = self._pending.pop(0)
            try:
                with self._owner.profile.timed("parse.workers"):
                    self._ready.update(future.result())
            except Exception as error:  # noqa: BLE001 - workers only save time: parse here instead
                _log.warning("parse workers failed (%s); parsing in the crawl's process", type(error).__name__)
                self._owner.failed = True
        return self._ready.pop(index, None)


class Prefetcher:
    """Hands a crawl's batches to a :class:`ParsePool`, one batch ahead (see the module docstring)."""

    CHUNKS = 4
    """Tasks per batch for a single worker: the crawl starts on a batch when its first quarter is parsed."""
    CHUNK_ROWS = 250
    """And rows per task at most: the crawl waits for the first batch (parsed in step) only until its
    first 250 rows are parsed, not a quarter of it (1,250 rows of a 5,000-row batch; issue 13)."""

    def __init__(self, pool: ParsePool, profile: Profile = NO_PROFILE) -> None:
        """Use ``pool``; ``profile`` times waiting (``parse.workers``) and handing out (``parse.submit``)."""
        self.pool = pool
        self.profile = profile
        self.failed = False
        self.follows = pool.workers == 1

    def submit(self, rows: Sequence[Planned], learned: LearnedSchema, *, in_step: bool) -> Prefetched:
        """Hand out one batch's rows; return their results as they come.

        Args:
            rows: the batch's rows to parse, as :data:`Planned`, in history order.
            learned: the crawl's learned schema now.
            in_step: ``learned`` is the schema the batch starts with (the crawl applied every
                row before it); a following worker is then given it. Else (a batch ahead) the
                following worker goes on from its own schema.
        """
        with self.profile.timed("parse.submit"):
            if not rows:
                return Prefetched([], self)
            if self.follows:
                size = min(-(-len(rows) // self.CHUNKS), self.CHUNK_ROWS)
                state = learned.to_state() if in_step else None
                return Prefetched([(rows[i][0], self.pool.submit(rows[i:i + size], state if i == 0 else None,
                                                                 in_step and i == 0, in_step and i == 0))
                                   for i in range(0, len(rows), size)], self)
            size = -(-len(rows) // self.pool.workers)
            full = learned.to_state()
            return Prefetched([(rows[i][0], self.pool.submit(
                rows[i:i + size], state_for(full, [r for _, r, _ in rows[i:i + size]]), True))
                for i in range(0, len(rows), size)], self)


_WORD = re.compile(r'"((?:[^"]|"")+)"|([A-Za-z_][A-Za-z0-9_$]*)')


def state_for(learned_state: list[list[object]] | None, records: Sequence[QueryRecord]) -> list[list[object]] | None:
    """Return the entries of a learned schema's state (``LearnedSchema.to_state()``) whose
    dataset name (the last part of the id, unquoted, any case) is a word or a quoted
    identifier of some record's text, in the state's order. Pure."""
    if not learned_state:
        return learned_state
    words: set[str] = set()
    for record in records:
        for quoted, bare in _WORD.findall(record.query_text):
            words.add((quoted.replace('""', '"') if quoted else bare).lower())
    return [entry for entry in learned_state if split_id(str(entry[0]))[-1].lower() in words]


_WORKER: dict[str, Any] = {}


PARENT_POLL_SECONDS = 1.0
"""How often a parse worker checks that the crawl that started it is still alive."""


def _exit_with_parent(parent: int, poll_seconds: float = PARENT_POLL_SECONDS) -> None:
    """End this worker process once the crawl ``parent`` (its pid) is gone: our parent pid is another.

    A crawl killed with SIGKILL (a lost replica, ``kill -9``) cannot stop its workers, and a
    ``ProcessPoolExecutor`` worker waiting for a task never sees the end of its queue: its
    sibling workers hold the queue's other end. Such orphans stayed, each with its parse cache
    (about 200 MiB), for as long as the machine ran. Runs as a daemon thread of the worker.
    """
    while os.getppid() == parent:
        time.sleep(poll_seconds)
    os._exit(0)


def _init_worker(parent: int, options: CrawlOptions, patterns: tuple[str, ...], catalog: SchemaProvider | None,
                 columns: bool) -> None:
    # the crawl's pid as it gave it: killed while this worker started, it is not our parent any more
    threading.Thread(target=_exit_with_parent, args=(parent,), name="exit-with-parent", daemon=True).start()
    logging.disable(logging.WARNING)  # sqlglot's Command-fallback warnings; the main process reports problems
    _WORKER.update(options=options, patterns=patterns, catalog=catalog, columns=columns,
                   cache=ParseCache.for_options(options), learned=LearnedSchema())


def _parse_rows(rows: list[tuple[int, PoolRow, bool]], learned_state: list[list[object]] | None,
                reset: bool, forget: bool) -> list[tuple[int, Extracted]]:
    """Parse ``rows`` in order in a worker (:meth:`ParsePool.submit`)."""
    if forget:
        _WORKER["cache"] = ParseCache.for_options(_WORKER["options"])
    if reset:
        _WORKER["learned"] = LearnedSchema.from_state(learned_state)
    learned: LearnedSchema = _WORKER["learned"]
    schema = CrawlSchema(learned, _WORKER["catalog"]) if _WORKER["columns"] else None
    cache: ParseCache = _WORKER["cache"]
    out = []
    for index, row, learns in rows:
        try:
            result, answers, hit = cache.answered(row, _WORKER["options"], _WORKER["patterns"], schema)  # type: ignore[arg-type]
        except Exception:  # noqa: BLE001 - the crawl parses this row itself (and quarantines the error)
            continue  # not learned from either: the crawl learns nothing from a row it fails on
        if not hit:  # encoded here for the registry (parse_store): the crawl's process has less to do
            out.append((index, (result, answers, encode(result, answers) if storable(result) else None)))
        if learns:
            learned.learn(result.statements)
    learned.take_changes()  # nothing is stored from here: forget what changed
    return out
