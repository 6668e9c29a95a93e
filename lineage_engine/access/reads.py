"""The read side of one statement: which datasets and columns it read (issue 14 §1).

Pure: stdlib and :mod:`lineage_engine.model` only (plus the pure ACCESS_HISTORY object
reader). No query text is kept: a :class:`ReadFact` holds ids, the principal, role,
warehouse, the statement's end time and its query id.

Rules (README "Access history"):

* Every successful statement that reads datasets counts: a ``SELECT`` and the read side of
  every write (CTAS, INSERT ... SELECT, MERGE, UPDATE ... FROM, DELETE ... USING, UNLOAD,
  CLONE, COPY from a stage). ``CREATE VIEW`` reads nothing when it runs (a view stores a
  definition, no data), nor do DROP, RENAME, SWAP, ALTER.
* Column reads are the parser's :attr:`ExtractionResult.reads`: every upstream column of the
  statement's column lineage, DIRECT and INDIRECT (a filter reads its column).
  ``<unresolved>.c`` (an unqualified column over a join, no schema) becomes ``D.c`` for every
  dataset ``D`` the text read (over-report, never under).
* Where the parser cannot say which columns were read (a statement it did not fully parse,
  a column error, CLONE, COPY and other table-level statements) every dataset read gets
  the marker column ``D.*``: the read counts for every column of ``D``.
  So does a stage or bucket read without a named column (``SELECT $1 FROM @stage``: files
  are read by position).
* Temporary objects (by name pattern) are not recorded: the statement that filled a temp
  recorded the read of its upstreams by the same session.
* With ACCESS_HISTORY reads on the record (``direct_objects_accessed`` and
  ``base_objects_accessed``), Snowflake's record wins over the parsed reads, unless it was
  truncated.
* A Time Travel read (``FROM t AT | BEFORE (...)``) read ``t``'s content at that point, not
  at the statement's end: the fact keeps the point per dataset (``points``, resolved by the
  crawl from the text, :mod:`lineage_engine.parsing.time_travel`), whether the datasets and
  columns come from the parse or from ACCESS_HISTORY (which names the object, not the point).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lineage_engine.model import AccessReads, ExtractionResult, Operation, QueryRecord, column_id, dataset_of
from lineage_engine.parsing.temp_names import is_temp_name

READ_QUERY_TYPES: frozenset[str] = frozenset({"SELECT", "GET_FILES"})
"""QUERY_TYPEs that only read (Snowflake spelling); parsed for their reads alone. ``GET_FILES``
(``GET @stage file://...``) downloads a stage's files to a client: a read of the stage."""

UNRESOLVED = "<unresolved>"
SELECT_PSEUDO = "<select>"
ALL_COLUMNS = "*"

_COLUMN_KNOWN = frozenset({Operation.QUERY, Operation.CREATE, Operation.REPLACE, Operation.INSERT, Operation.MERGE,
                           Operation.UPDATE, Operation.DELETE, Operation.UNLOAD})
"""Operations whose column reads the parser computes; others read whole datasets (``D.*``)."""
_NO_READ = frozenset({Operation.VIEW, Operation.DROP, Operation.RENAME, Operation.SWAP, Operation.ALTER,
                      Operation.UNDROP, Operation.TRUNCATE})
"""Operations that read no data when they run."""
_UNKNOWN_COLUMNS = frozenset({"parse_error", "truncated", "unsupported", "timeout", "column_error"})
"""Problem codes after which the parsed column reads may be incomplete."""


@dataclass(frozen=True, slots=True)
class ReadFact:
    """One statement's reads (no query text).

    Attributes:
        query_id: the statement's QUERY_ID (idempotency key of the aggregation).
        at: the statement's END_TIME, aware UTC.
        principal: USER_NAME (upper-case as Snowflake spells it); ``""`` when unknown.
        role: ROLE_NAME; ``""`` when unknown.
        warehouse: WAREHOUSE_NAME or None.
        datasets: dataset ids read, sorted.
        columns: column ids read, sorted; ``D.*`` for "every column of D".
        points: ``(dataset id, instant)`` of the datasets read at a Time Travel point, sorted:
            the content read is the dataset's at that instant (aware UTC; the epoch,
            ``parsing.time_travel.ANY_EARLIER``, for a point not known: any earlier content).
    """

    query_id: str
    at: datetime
    principal: str
    role: str
    warehouse: str | None
    datasets: tuple[str, ...]
    columns: tuple[str, ...]
    points: tuple[tuple[str, datetime], ...] = ()

    def content_from(self, dataset: str) -> datetime:
        """Return the instant of ``dataset``'s content this statement read: its point, else its end."""
        return min((p for d, p in self.points if d == dataset), default=self.at)


def read_fact(record: QueryRecord, result: ExtractionResult | None,
              temp_re: re.Pattern[str] | None = None,
              points: Mapping[str, datetime] | None = None) -> ReadFact | None:
    """Return what ``record`` read, from its ACCESS_HISTORY reads or its parsed ``result``.

    Args:
        record: the query-history row (user, role, warehouse, end time, query id).
        result: its extraction (``queries=True``, column mode); None when only
            ACCESS_HISTORY reads are available.
        temp_re: compiled temporary-object patterns (their reads are not recorded).
        points: ``{dataset id: instant}`` of the row's Time Travel reads
            (:func:`lineage_engine.parsing.time_travel.row_points`); kept for the datasets read.

    Returns:
        A ReadFact, or None when the statement read no dataset.
    """
    access = record.access_reads
    if access is not None and not access.truncated and (access.datasets or access.columns):
        datasets = set(access.datasets) | {dataset_of(c) for c in access.columns}
        columns = set(access.columns)
    elif result is not None:
        datasets, columns = _parsed_reads(result)
    else:
        return None
    datasets = {d for d in datasets if not is_temp_name(d, temp_re)}
    whole = {dataset_of(c) for c in columns if c.endswith(".*") and c == column_id(dataset_of(c), ALL_COLUMNS)}
    # "every column of D" subsumes the named ones: one statement is one read of D's columns
    columns = {c for c in columns if dataset_of(c) in datasets and (dataset_of(c) not in whole or c.endswith(".*"))}
    if not datasets:
        return None
    return ReadFact(query_id=record.query_id, at=record.end_time, principal=(record.user_name or "").upper(),
                    role=(record.role_name or "").upper(), warehouse=record.warehouse_name,
                    datasets=tuple(sorted(datasets)), columns=tuple(sorted(columns)),
                    points=tuple(sorted((d, p) for d, p in (points or {}).items() if d in datasets and p < record.end_time)))


def _parsed_reads(result: ExtractionResult) -> tuple[set[str], set[str]]:
    datasets: set[str] = set()
    whole: set[str] = set()  # datasets read without known columns
    unknown = any(p.code in _UNKNOWN_COLUMNS for p in result.problems)
    for st in result.statements:
        if st.operation in _NO_READ:
            continue
        ids = {s.id for s in st.sources if s.id != SELECT_PSEUDO}
        datasets |= ids
        if unknown or st.operation not in _COLUMN_KNOWN:
            whole |= ids
    if not datasets:  # only CREATE VIEW / DDL: their column lineage is no read
        return datasets, set()
    columns: set[str] = set()
    for read in result.reads:
        dataset = dataset_of(read)
        if dataset == UNRESOLVED:
            name = read[len(UNRESOLVED) + 1:]
            columns.update(f"{d}.{name}" for d in datasets)
        elif dataset in datasets:  # a column of a view definition in a mixed text stays out (its dataset too)
            columns.add(read)
    columns.update(column_id(d, ALL_COLUMNS) for d in whole)
    named = {dataset_of(c) for c in columns}
    # files in a stage or bucket are read by position ($1, $1:email): their columns have no names
    columns.update(column_id(d, ALL_COLUMNS) for d in datasets if d not in named and _is_location(d))
    return datasets, columns


def _is_location(dataset: str) -> bool:
    """Return True for a stage (``@db.s.stage``, ``@~``) or a bucket / URL (``s3://bucket``)."""
    return dataset.startswith("@") or "://" in dataset


def access_reads_from_row(direct_objects_accessed: Any, base_objects_accessed: Any) -> AccessReads:
    """Build the reads of one ACCESS_HISTORY row (VARIANT columns as JSON text or values).

    Objects that are not datasets (functions, procedures) are skipped; a truncation marker
    anywhere gives ``AccessReads(truncated=True)``. Source: docs.snowflake.com,
    account-usage/access_history (reference §3).
    """
    from lineage_engine.sources.access_history import TRUNCATED, TruncatedRecord, dataset_from_object, json_value

    datasets: set[str] = set()
    columns: set[str] = set()
    try:
        for value in (direct_objects_accessed, base_objects_accessed):
            objects = json_value(value) or []
            if not isinstance(objects, list):
                continue
            for obj in objects:
                if not isinstance(obj, Mapping):
                    continue
                ref = dataset_from_object(obj)
                if ref is None:
                    continue
                datasets.add(ref.id)
                for column in _columns(obj.get("columns")):
                    if column == TRUNCATED:
                        return AccessReads(truncated=True)
                    columns.add(column_id(ref.id, column.lower()))
    except TruncatedRecord:
        return AccessReads(truncated=True)
    return AccessReads(datasets=tuple(sorted(datasets)), columns=tuple(sorted(columns)))


def merge_access_reads(first: AccessReads | None, second: AccessReads) -> AccessReads:
    """Combine two ACCESS_HISTORY records of one query id; truncation is contagious."""
    if first is None:
        return second
    if first.truncated or second.truncated:
        return AccessReads(truncated=True)
    return AccessReads(datasets=tuple(sorted(set(first.datasets) | set(second.datasets))),
                       columns=tuple(sorted(set(first.columns) | set(second.columns))))


def _columns(value: Any) -> Iterable[str]:
    for column in value or []:
        if isinstance(column, Mapping) and isinstance(column.get("columnName"), str):
            yield column["columnName"]
