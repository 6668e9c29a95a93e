"""``CrawlOptions``: how a crawl filters, parses and batches (built by :func:`lineage_engine.pipeline.options_from_settings`).

Its own module so that a parse worker (:mod:`lineage_engine.parse_pool`), which is handed the
options pickled, imports only the parsing modules, not the pipeline with the registry and graph
behind it: about 0.7 s less before a worker parses its first row (issue 13). Re-exported by
:mod:`lineage_engine.pipeline`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from lineage_engine.parsing.temp_tables import DEFAULT_SESSION_IDLE
from lineage_engine.transform_lists import TransformFunctions


@dataclass(frozen=True)
class CrawlOptions:
    """How a crawl filters, parses and batches.

    Attributes:
        dialect: sqlglot dialect of the query text.
        allowed_query_types: ``telemetry.query_filters``; None = every materializing type.
        own_user, own_query_tag_prefix: our own queries, never lineage.
        temp_patterns: regexes of temporary objects (added to the defaults).
        batch_size: rows per commit.
        parse_cache_size: distinct (text, database, schema) results kept; repeats cost nothing.
        parse_cache_mb: and at most about this many MiB of them (texts and results, estimated
            by :func:`~lineage_engine.parse_cache.cache_entry_bytes`); the least recently used go first.
        store_indirect_column_edges: also store INDIRECT column edges (filters, joins, group
            keys); off by default: they outnumber DIRECT ones several times and exposure
            does not use them (``telemetry.store_indirect_column_edges``).
        future_tolerance: a statement that ended later than now plus this is quarantined
            as ``end_time_in_future`` (``telemetry.future_tolerance_minutes``).
        parse_workers: processes parsing (``telemetry.parse_workers``): 1 parses in the crawl's
            own process; N > 1 adds N - 1 worker processes that parse one batch ahead while
            the crawl's process applies the batch before (:mod:`lineage_engine.parse_pool`).
            The graph is identical either way.
        max_statement_chars: a longer ``query_text`` is quarantined as ``too_large`` before
            parsing (``telemetry.max_statement_chars``).
        parse_timeout_seconds: one row's extraction budget; a longer one is stopped and
            quarantined as ``timeout`` (``telemetry.parse_timeout_seconds``; None: no budget).
        session_idle: a session idle longer than this has ended and its temporary objects
            with it (``telemetry.session_idle_hours``; :mod:`lineage_engine.parsing.temp_tables`).
        functions: masking, unmasking and counting functions and the partial length that
            decide column transforms (``compliance.*_functions``, ``partial_max_chars``).
        keep_reads: keep the read side of every statement (SELECTs parsed too) as access
            facts in the registry (``telemetry.keep_reads``; issue 14, :mod:`lineage_engine.access`).
        timestamp_type_mapping: the variant a ``TIMESTAMP`` column or masking policy argument has
            (``compliance.timestamp_type_mapping``; None: not known, review s14 R8).
    """

    dialect: str = "snowflake"
    allowed_query_types: frozenset[str] | None = None
    own_user: str | None = None
    own_query_tag_prefix: str = "lineage-svc"
    temp_patterns: tuple[str, ...] = ()
    batch_size: int = 1000
    parse_cache_size: int = 20_000
    parse_cache_mb: int = 48
    store_indirect_column_edges: bool = False
    future_tolerance: timedelta = timedelta(minutes=60)
    parse_workers: int = 1
    max_statement_chars: int = 1_000_000
    parse_timeout_seconds: float | None = 10.0
    session_idle: timedelta = DEFAULT_SESSION_IDLE
    functions: TransformFunctions = TransformFunctions()
    keep_reads: bool = True
    timestamp_type_mapping: str | None = None
