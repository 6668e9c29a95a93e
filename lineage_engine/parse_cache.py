"""The crawl's parse cache: extraction results of repeated statements, bounded, always exact.

Shared by the crawl's process (:mod:`lineage_engine.pipeline`) and the parse worker
(:mod:`lineage_engine.parse_pool`), which keeps its own copy to follow the crawl's learned
schema without parsing a repeat again.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from lineage_engine.model import ExtractionResult, Problem, QueryRecord
from lineage_engine.parse_budget import call_with_budget
from lineage_engine.parsing import extract_lineage
from lineage_engine.parsing.column_compose import columns_for_graph
from lineage_engine.parsing.learned_schema import RecordingSchema, same_answers
from lineage_engine.parsing.redact import fingerprint_untokenized, redact_untokenized
from lineage_engine.parsing.schema import SchemaProvider

if TYPE_CHECKING:
    from lineage_engine.crawl_options import CrawlOptions

Answers = dict[str, "tuple[str, ...] | None"]
"""Dataset id -> the columns a schema answered (None: unknown) during one extraction."""
Extracted = tuple[ExtractionResult, Answers]


QUARANTINE_CODES = frozenset({"parse_error", "truncated", "unsupported", "timeout", "dynamic_sql"})
"""Problem codes that send a statement to quarantine (others only lower confidence). ``dynamic_sql``: a
target or upstream named by a session variable (``IDENTIFIER($src)``, ``TABLE($src)``) is unknown, so a
path through it is missing: counted as not seen (its other lineage is kept), never a silent gap."""


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


class ParseCache:
    """A bounded LRU of extraction results keyed by statement and session defaults.

    The statement key is Snowflake's ``QUERY_PARAMETERIZED_HASH`` when the row has one, else
    the text. The hash parameterises only constants in binary predicates and keeps every
    identifier (docs.snowflake.com, aggregate_query_history; reference §1), so equal hashes
    mean equal lineage: an hourly INSERT with a new date literal is parsed once per crawl.
    Our own fingerprint is not used as a key: it redacts every literal, including
    ``IDENTIFIER('db.s.t')`` and ``COPY`` locations, which name datasets.

    With a schema (column lineage), an entry also keeps the schema answers its extraction
    used (learned or catalog alike), and is served only while the schema still gives them: a
    cached result is always the one a fresh extraction would give, so a resumed crawl matches
    a clean one, and a catalog reloaded between two windows of one backfill is honoured.

    Bounded twice: at most ``size`` entries and about ``max_bytes`` of them (the estimate of
    :func:`cache_entry_bytes`: a history of long distinct texts with wide column lineage, e.g.
    a warehouse of many databases, holds several KiB per entry). A result served or dropped
    is the same either way: the bound costs parse time, never a different answer.
    """

    def __init__(self, size: int, max_bytes: int | None = None) -> None:
        """Create an empty cache of at most ``size`` entries and ``max_bytes`` (None: no byte bound)."""
        self.size = size
        self.max_bytes = max_bytes
        self.bytes = 0
        """Estimated bytes held by :attr:`entries` (:func:`cache_entry_bytes`)."""
        self.prefetched = 0  # rows whose worker extraction was used (parse_workers > 1)
        self.refused = 0  # rows whose worker extraction was not: the schema answered otherwise here
        self.new: list[tuple[tuple[str, str, str | None, str | None], ExtractionResult, Answers, bytes | None]] | None = None
        """When a list: every result extracted here or by a worker is appended (to be stored, :meth:`take_new`),
        with the worker's encoding of it when it made one (:func:`lineage_engine.parse_store.encode`)."""
        self.entries: OrderedDict[tuple[str, str, str | None, str | None],
                                  tuple[ExtractionResult, dict[str, tuple[str, ...] | None]]] = OrderedDict()
        self._sizes: dict[tuple[str, str, str | None, str | None], int] = {}

    @classmethod
    def for_options(cls, options: CrawlOptions) -> ParseCache:
        """Return an empty cache bounded by ``options.parse_cache_size`` and ``parse_cache_mb``."""
        return cls(options.parse_cache_size, options.parse_cache_mb * 2**20)

    @staticmethod
    def key(record: QueryRecord) -> tuple[str, str, str | None, str | None]:
        """Return the cache key of a row: its parameterized hash when it has one, else a digest
        of its text (BLAKE2b, 128 bits: a cache of a million entries collides with odds about
        1e-27; the text itself, often KiB long, is not kept alive by the cache)."""
        if record.query_parameterized_hash:
            return ("hash", record.query_parameterized_hash, record.database_name, record.schema_name)
        digest = hashlib.blake2b(record.query_text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()
        return ("text", digest, record.database_name, record.schema_name)

    def get_or_extract(
        self, record: QueryRecord, options: CrawlOptions, patterns: tuple[str, ...],
        schema: SchemaProvider | None = None, prefetched: Extracted | None = None,
        extract: Callable[..., ExtractionResult] | None = None,
    ) -> tuple[ExtractionResult, bool]:
        """Return ``(result, hit)``: the cached extraction when still valid, else a fresh one (cached).

        Args:
            schema: the column schema (None: table-level lineage only).
            prefetched: a worker's extraction of this row and the schema answers it used
                (:mod:`lineage_engine.parse_pool`); taken only while ``schema`` gives the
                same answers (else counted in :attr:`refused` and the row extracted here).
            extract: the extractor (None: :func:`~lineage_engine.parsing.extract_lineage`).
        """
        result, _, hit = self.answered(record, options, patterns, schema, prefetched, extract)
        return result, hit

    def answered(
        self, record: QueryRecord, options: CrawlOptions, patterns: tuple[str, ...],
        schema: SchemaProvider | None = None, prefetched: Extracted | None = None,
        extract: Callable[..., ExtractionResult] | None = None,
    ) -> tuple[ExtractionResult, Answers, bool]:
        """Return ``(result, answers, hit)``: :meth:`get_or_extract` with the schema answers
        the result was extracted with."""
        key = self.key(record)
        hit = self.entries.get(key)
        if hit is not None and (schema is None or same_answers(schema, hit[1])):
            self.entries.move_to_end(key)
            return hit[0], hit[1], True
        body = None
        if prefetched is not None and (schema is None or same_answers(schema, prefetched[1])):
            result, answers = prefetched[0], prefetched[1]  # parsed by a worker against a schema that answers the same
            body = prefetched[2] if len(prefetched) > 2 else None  # type: ignore[misc]
            self.prefetched += 1
        else:
            if prefetched is not None:
                self.refused += 1
            result, answers = extract_record(record, options, patterns, schema, extract or extract_lineage)
        if result.redacted_text and not any(p.code in QUARANTINE_CODES for p in result.problems):
            result = replace(result, redacted_text="")  # read only for a quarantine entry (quarantine_for)
        if self.new is not None:
            self.new.append((key, result, answers, body))
        self.put(key, result, answers)
        return result, answers, False

    def put(self, key: tuple[str, str, str | None, str | None], result: ExtractionResult, answers: Answers) -> None:
        """Keep ``result`` for ``key``, extracted with ``answers`` (served only while a schema gives them)."""
        self._drop(key)
        self.entries[key] = (result, answers)
        self._sizes[key] = size = cache_entry_bytes(key, result, answers)
        self.bytes += size
        while self.entries and (len(self.entries) > self.size or
                                (self.max_bytes is not None and self.bytes > self.max_bytes)):
            self._drop(next(iter(self.entries)))

    def take_new(self) -> list[tuple[tuple[str, str, str | None, str | None], ExtractionResult, Answers, bytes | None]]:
        """Return the results extracted since the last call (when :attr:`new` is a list) and start afresh."""
        taken, self.new = (self.new or []), ([] if self.new is not None else None)
        return taken

    def _drop(self, key: tuple[str, str, str | None, str | None]) -> None:
        if self.entries.pop(key, None) is not None:
            self.bytes -= self._sizes.pop(key)


def cache_entry_bytes(key: tuple[str, str, str | None, str | None], result: ExtractionResult,
                      answers: Mapping[str, tuple[str, ...] | None]) -> int:
    """Return an estimate, in bytes, of what a parse cache entry keeps alive.

    The key's hash or digest, the redacted text (kept only for a statement that goes to
    quarantine), and a fixed cost per statement, dataset, column edge, read and schema
    answer (CPython object sizes, fitted with ``tracemalloc`` on ``benchmarks/scale_history.py``
    rows: 2 to 5.5 KiB per result besides its text, within 10%). An estimate, not a measure:
    it bounds the cache's memory at the cost of a few operations per entry.
    """
    size = 900 + len(key[1]) + len(result.redacted_text) + len(result.fingerprint) + 120 * len(result.reads)
    for st in result.statements:
        size += 300 + 150 * len(st.sources) + 260 * len(st.columns) + 60 * len(st.defined_columns)
    for dataset_id, columns in answers.items():
        size += 100 + len(dataset_id) + (60 * len(columns) if columns else 0)
    return size


