"""Parse a crawl batch on every core, with the exact result of a one-worker crawl (issue 9).

Extraction is pure, but column lineage of a row depends on the columns the crawl learned
from the rows before it (:class:`~lineage_engine.parsing.learned_schema.CrawlSchema`), so
rows cannot simply be parsed out of order. The pool parses *speculatively*: each batch's
rows are extracted in worker processes against a snapshot of the learned schema taken at
the start of the batch, and every result carries the schema answers it used
(:class:`~lineage_engine.parsing.learned_schema.RecordingSchema`). The crawl then walks the
batch in history order and uses a speculative result only when the schema of that moment
still gives the same answers (:func:`~lineage_engine.parsing.learned_schema.same_answers`:
the rule that keeps the parse cache exact); otherwise it extracts the row again itself. So
the graph, the quarantine and the watermark are identical with 1 or N workers; only the
time differs.

Workers are separate processes (``spawn``: safe beside the driver threads of Neo4j and the
scheduler), started once per crawl and given the options, temp patterns and catalog
snapshot once (pool initializer); each task carries one chunk of rows and the part of the
learned schema's state that the chunk can ask about (:func:`state_for`: the datasets whose
name appears in one of its texts), not the whole state (up to the schema's limit, tens of
thousands of entries, per chunk and batch). A dataset left out that a statement does ask
about (a name built at run time) is answered "unknown" in the worker; the crawl's check
then finds a different answer and extracts that row again itself: slower, never different.
"""

from __future__ import annotations

import multiprocessing
import os
import re
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from lineage_engine.model import ExtractionResult, Problem, QueryRecord, split_id
from lineage_engine.parse_budget import call_with_budget
from lineage_engine.parsing import extract_lineage
from lineage_engine.parsing.redact import fingerprint_untokenized, redact_untokenized
from lineage_engine.parsing.column_compose import columns_for_graph
from lineage_engine.parsing.learned_schema import CrawlSchema, LearnedSchema, RecordingSchema
from lineage_engine.parsing.schema import SchemaProvider

if TYPE_CHECKING:
    from lineage_engine.pipeline import CrawlOptions

Answers = dict[str, "tuple[str, ...] | None"]
"""Dataset id -> the columns a schema answered (None: unknown) during one extraction."""
Extracted = tuple[ExtractionResult, Answers]


def default_workers() -> int:
    """Return the number of cores this process may run on (``telemetry.parse_workers`` default)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def extract_record(
    record: QueryRecord, options: CrawlOptions, patterns: Sequence[str], schema: SchemaProvider | None,
    extract: Callable[..., ExtractionResult] = extract_lineage,
) -> Extracted:
    """Extract one row as a crawl does; return the result and the schema answers it used.

    With a schema the result keeps only the column edges the graph stores
    (:func:`~lineage_engine.parsing.column_compose.columns_for_graph`); its ``reads`` keep
    every column read. Pure; never raises for bad SQL. ``extract`` is the extractor
    (:func:`~lineage_engine.parsing.extract_lineage`; the crawl passes the one it imported).
    An extraction longer than ``options.parse_timeout_seconds`` is stopped
    (:mod:`lineage_engine.parse_budget`) and gives :func:`timeout_result`, which the crawl
    quarantines as ``timeout``.
    """
    recording = RecordingSchema(schema) if schema is not None else None
    result, timed_out = call_with_budget(lambda: extract(
        record.query_text,
        dialect=options.dialect,
        default_database=record.database_name,
        default_schema=record.schema_name,
        temp_patterns=patterns,
        columns=schema is not None,
        schema=recording,
        queries=True,  # SELECTs inside a text keep their reads (ExtractionResult.reads: access history)
        functions=options.functions,
    ), options.parse_timeout_seconds)
    if timed_out or result is None:
        return timeout_result(record.query_text, options.parse_timeout_seconds), {}
    if schema is not None:  # keep only what the graph stores: repeats cost nothing, the cache stays small
        result = replace(result, statements=columns_for_graph(
            result.statements, indirect=options.store_indirect_column_edges))
    return result, (recording.answers if recording is not None else {})


_REDACTED_PREFIX = 8000
"""Characters of a timed-out text kept (redacted by pattern) for the quarantine."""


def timeout_result(text: str, seconds: float | None) -> ExtractionResult:
    """Return the result of a statement whose extraction ran out of time: no lineage, one ``timeout`` problem.

    The fingerprint and redacted text come from the pattern redaction (linear in the text),
    not from the tokenizer that may be what ran out of time.
    """
    return ExtractionResult(
        statements=(),
        problems=(Problem(code="timeout", message=(
            f"parsing this statement took longer than {seconds:g} s and was stopped; its lineage is unknown "
            "(telemetry.parse_timeout_seconds)")),),
        confidence=0.0,
        fingerprint=fingerprint_untokenized(text),
        redacted_text=redact_untokenized(text[:_REDACTED_PREFIX]),
    )


class ParsePool:
    """Worker processes that extract rows speculatively (see the module docstring).

    Use as a context manager; :meth:`submit` returns futures in the order of the rows given.
    """

    def __init__(self, workers: int, options: CrawlOptions, patterns: Sequence[str],
                 catalog: SchemaProvider | None, *, columns: bool) -> None:
        """Start ``workers`` processes (``spawn``); nothing is parsed yet.

        Args:
            workers: processes to start (2 or more makes sense).
            options, patterns: as for :func:`extract_record`.
            catalog: the crawl's catalog snapshot (pickled once per worker); None for none.
            columns: column lineage on (the crawl always asks for it today).
        """
        self.workers = workers
        self._executor = ProcessPoolExecutor(
            max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_worker, initargs=(options, tuple(patterns), catalog, columns),
        )

    def submit(self, records: Sequence[QueryRecord], learned_state: dict[str, Any] | None) -> list[Future[list[Extracted]]]:
        """Extract ``records`` in chunks, one per worker, against ``learned_state``.

        Returns:
            One future per chunk, in order; their lists concatenated follow ``records``.
        """
        if not records:
            return []
        size = -(-len(records) // self.workers)
        chunks = [list(records[i:i + size]) for i in range(0, len(records), size)]
        return [self._executor.submit(_extract_chunk, chunk, state_for(learned_state, chunk)) for chunk in chunks]

    def close(self) -> None:
        """Stop the workers (pending chunks are cancelled)."""
        self._executor.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> ParsePool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


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


def _init_worker(options: CrawlOptions, patterns: tuple[str, ...], catalog: SchemaProvider | None,
                 columns: bool) -> None:
    import logging

    logging.disable(logging.WARNING)  # sqlglot's Command-fallback warnings; the main process reports problems
    _WORKER.update(options=options, patterns=patterns, catalog=catalog, columns=columns)


def _extract_chunk(records: list[QueryRecord], learned_state: dict[str, Any] | None) -> list[Extracted]:
    schema = None
    if _WORKER["columns"]:
        schema = CrawlSchema(LearnedSchema.from_state(learned_state), _WORKER["catalog"])
    return [extract_record(r, _WORKER["options"], _WORKER["patterns"], schema) for r in records]
