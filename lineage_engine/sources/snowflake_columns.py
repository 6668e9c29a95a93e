"""The warehouse's columns from ``SNOWFLAKE.ACCOUNT_USAGE.COLUMNS``, for column lineage (issue 5).

A crawl expands ``SELECT *`` and places unqualified columns with a schema: the columns it
learned from earlier statements first, then this catalog snapshot for datasets the crawled
history never defined (:class:`~lineage_engine.parsing.learned_schema.CrawlSchema`).

Why ``ACCOUNT_USAGE.COLUMNS`` and not ``<db>.INFORMATION_SCHEMA.COLUMNS``:

* One statement covers every database of the account. The Information Schema view lists
  "the tables defined in the specified (or current) database" (docs.snowflake.com,
  sql-reference/info-schema/columns): one statement per database, and the crawler would
  first have to know them all.
* Information Schema views show only objects the current role has privileges on; the
  crawler's observer role has, and should have, no grants on production tables. Account
  Usage needs a SNOWFLAKE database role (OBJECT_VIEWER [unverified: check the table in
  docs.snowflake.com, sql-reference/snowflake-db-roles]) or ``IMPORTED PRIVILEGES ON
  DATABASE SNOWFLAKE``, which also covers QUERY_HISTORY (reference §1).
* The price is latency: Account Usage views lag "from 45 minutes to 3 hours (varies by
  view)" and include dropped objects (docs.snowflake.com, sql-reference/account-usage,
  "Differences between Account Usage and Information Schema"); COLUMNS lags up to 90
  minutes and marks dropped rows in ``DELETED`` (issue 5; not re-checked here). The SQL reads
  live rows only. The lag hardly matters: a table created by a crawled statement is learned
  from that statement, and what was learned wins over the catalog.

Ids mirror :func:`lineage_engine.parsing.normalize.qualified_ref`: ``database.schema.table``,
each part lower-cased. The catalog stores unquoted names folded to upper case and quoted
ones as written; the extractor lower-cases both, so ``"Foo"`` and ``FOO`` would share one
id. Such ids are dropped (``ambiguous``): an unknown dataset costs confidence, two tables
merged into one would give wrong column edges.

Bind parameters only (``sql/columns.sql``); errors are mapped like the query-history
source's (:func:`~.snowflake_connection.translate_error`), and nothing here logs.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from lineage_engine.model import join_id
from lineage_engine.sources.snowflake import load_sql
from lineage_engine.sources.snowflake_connection import SnowflakeConnectionConfig, session_cursor

FETCH_SIZE = 10_000
"""Rows per ``fetchmany`` while streaming the result."""
COLUMNS_GRANT = ("the database role SNOWFLAKE.OBJECT_VIEWER or IMPORTED PRIVILEGES ON DATABASE SNOWFLAKE "
                 "(or turn telemetry.sync_columns off)")
"""What the role lacks when ACCOUNT_USAGE.COLUMNS is not authorized."""


@dataclass(frozen=True)
class CatalogColumns:
    """One load of ``ACCOUNT_USAGE.COLUMNS``.

    Attributes:
        columns: dataset id (lower-case ``database.schema.table``) -> lower-case column
            names in ``ORDINAL_POSITION`` order; ids sorted as read (by database, schema, table).
        rows_read: column rows read.
        ambiguous: ids left out because two objects differing only in case map to them, sorted.
    """

    columns: dict[str, tuple[str, ...]] = field(default_factory=dict)
    rows_read: int = 0
    ambiguous: tuple[str, ...] = ()


def fetch_catalog_columns(
    config: SnowflakeConnectionConfig,
    *,
    databases: Sequence[str] = (),
    connect_fn: Any = None,
    fetch_size: int = FETCH_SIZE,
) -> CatalogColumns:
    """Read the columns of every live table and view in one streamed statement.

    Opens its own session (``TIMEZONE=UTC``, the service's QUERY_TAG) and closes it.

    Args:
        config: connection settings (``telemetry``).
        databases: only these databases (any case; compared upper-case); empty: all.
        connect_fn: the driver's ``connect`` (tests wrap it); default the real one.
        fetch_size: rows fetched at a time; memory holds the result map, not the rows.

    Returns:
        The :class:`CatalogColumns`.

    Raises:
        SourceError: terminal failure (credentials, missing grant: the message says which).
        TransientSourceError: network, timeout or expired session.
    """
    wanted = sorted({d.strip().upper() for d in databases if d.strip()})
    params = {"all_databases": not wanted, "databases": wanted or [""]}
    builder = _CatalogBuilder()
    with session_cursor(config, "read ACCOUNT_USAGE.COLUMNS", grant=COLUMNS_GRANT, connect_fn=connect_fn) as cursor:
        cursor.execute(load_sql("columns"), params)
        while rows := cursor.fetchmany(fetch_size):
            for row in rows:
                builder.add(*row[:5])
    return builder.result()


class _CatalogBuilder:
    """Group streamed ``(catalog, schema, table, column, position)`` rows into tables."""

    def __init__(self) -> None:
        self.columns: dict[str, tuple[str, ...]] = {}
        self.ambiguous: set[str] = set()
        self.rows = 0
        self._key: tuple[str, str, str] | None = None
        self._pending: list[tuple[int, str]] = []

    def add(self, catalog: Any, schema: Any, table: Any, column: Any, position: Any) -> None:
        if catalog is None or schema is None or table is None or column is None:
            return  # a dropped object's name is NULL (Account Usage); nothing to name
        self.rows += 1
        key = (str(catalog), str(schema), str(table))
        if key != self._key:
            self._flush()
            self._key = key
        order = int(position) if position is not None else sys.maxsize
        self._pending.append((order, sys.intern(str(column).lower())))

    def _flush(self) -> None:
        if self._key is None or not self._pending:
            return
        key, pending = self._key, self._pending
        self._pending = []
        dataset_id = join_id(part.lower() for part in key)
        if dataset_id in self.ambiguous:
            return
        if dataset_id in self.columns:
            # "Foo" and FOO: one id, two tables. (The same table again, not contiguous, cannot
            # happen under the SQL's ORDER BY; should it, its order is unsure: also dropped.)
            self.ambiguous.add(dataset_id)
            self.columns.pop(dataset_id, None)
            return
        self.columns[dataset_id] = tuple(c for _, c in sorted(pending))

    def result(self) -> CatalogColumns:
        self._flush()
        return CatalogColumns(columns=self.columns, rows_read=self.rows, ambiguous=tuple(sorted(self.ambiguous)))


def fetch_tagged_column_types(config: SnowflakeConnectionConfig, *, connect_fn: Any = None,
                              fetch_size: int = FETCH_SIZE) -> dict[str, str]:
    """Read the data types of the columns of every table or view that carries a tag (itself or
    on a column: ``TAG_REFERENCES``), in one streamed statement of its own session
    (``sql/column_types.sql``).

    A tag's masking policy protects only the columns whose type is the policy's (Snowflake,
    "Tag-based masking policies"); a table created before the crawled history has no
    ``CREATE TABLE`` to say its types, so the catalog does. ``DATA_TYPE`` is Snowflake's name
    (``TEXT``, ``NUMBER``, ``TIMESTAMP_NTZ`` …; docs.snowflake.com, account-usage/columns).

    Returns:
        Column id (lower-case ``database.schema.table.column``) -> type family
        (:func:`~lineage_engine.parsing.data_types.type_family`); a type not known is left
        out, and so is any id two objects differing only in case map to.

    Raises:
        SourceError: terminal failure (credentials, missing grant: the message says which).
        TransientSourceError: network, timeout or expired session.
    """
    from lineage_engine.parsing.data_types import type_family

    out: dict[str, str] = {}
    clash: set[str] = set()
    seen: dict[str, tuple[str, ...]] = {}
    with session_cursor(config, "read ACCOUNT_USAGE.COLUMNS", grant=COLUMNS_GRANT, connect_fn=connect_fn) as cursor:
        cursor.execute(load_sql("column_types"))
        while rows := cursor.fetchmany(fetch_size):
            for catalog, schema, table, column, data_type in rows:
                if None in (catalog, schema, table, column):
                    continue
                names = (str(catalog), str(schema), str(table), str(column))
                column_key = join_id(part.lower() for part in names)
                if seen.setdefault(column_key, names) != names:
                    clash.add(column_key)  # "Foo" and FOO: which type is whose is not known
                family = type_family(str(data_type)) if data_type is not None else None
                if family is not None:
                    out[column_key] = family
    return {key: family for key, family in out.items() if key not in clash}

