"""Turn a sqlglot ``Table`` node into a canonical :class:`DatasetRef`.

Snowflake name rules applied here:

* Unqualified parts are completed from the session context (the query-history row's
  ``database_name`` / ``schema_name``, or a ``USE`` earlier in the same text).
* Unquoted identifiers fold to upper case in Snowflake, so their display spelling in
  ``DatasetRef.name`` is upper case; the canonical ``id`` is lower case (design §4).
* Quoted identifiers keep their case in ``name``; their ``id`` part is lower-cased too.
  Chosen so that ``"FOO"`` and ``FOO`` (the same object in Snowflake) share one id; the
  price is that ``"Foo"`` and ``FOO`` collide, which mixed-case quoted names rarely risk.
  Quotes are not kept in ``name``, except the id quoting rule of :mod:`lineage_engine.model`:
  a part holding a dot or a double quote is double-quoted in ``id`` and ``name``
  (``create table db.s."a.b"`` is the dataset ``db.s."a.b"``, three parts, not four).
* Names of four or more parts (a T-SQL linked server ``srv.db.s.t``, a BigQuery
  ``project.dataset.table.x`` spelling) keep every part.
* ``IDENTIFIER('db.s.t')`` (and ``TABLE('db.s.t')``) with a string literal is resolved like
  the name written without quotes; with a session variable it cannot be resolved.
* Stages ``@db.schema.stage/path`` become ``@db.schema.stage`` with kind ``stage``; the
  user stage is ``@~`` and a table stage ``@db.schema.%table``.
* A literal cloud location (``COPY INTO 's3://bucket/path' FROM t``, ``COPY INTO t FROM
  'azure://acct.blob.core.windows.net/container/x'``) becomes the external dataset of its
  bucket, ``s3://bucket`` (Azure and HTTPS: ``scheme://host/container``), kind ``external``:
  data leaving for a bucket is an exposure to find, and the bucket is a stable identity
  (a dated path per day would make a dataset per day). The path is dropped: it is a
  literal and may carry values (dates, customer keys). Any other literal location is
  reported as ``external_location``.

Spark, Databricks and Hive read files directly as ``format.`path``` (``parquet``, ``delta``,
``csv``, ``json``, ``orc``, ``avro``, ``text``, ``binaryFile``; Spark SQL guide, "Run SQL
on files directly"): the quoted part is a location, named like a literal location
(``delta.`s3://bucket/x``` is ``s3://bucket``; a DBFS, local or relative path is
``external_location``), never a table of a schema named after the format.

T-SQL session objects (Microsoft, "CREATE TABLE", temporary tables; "DECLARE
@local_variable", table variables) live outside every database and schema: a local
temporary table ``#t`` is the dataset ``#t``, a global one ``##t`` is ``##t`` and a table
variable ``@t`` is ``#@t`` (display name ``@t``; ``@`` alone would read as a stage), never
``db.dbo.t``, the real table they do not name. An id starting with ``#`` is always
temporary (:func:`lineage_engine.parsing.temp_names.is_temp_name`).

A file read by a table function (DuckDB ``read_parquet('s3://...')``, ``read_csv``,
Databricks ``read_files``, ClickHouse ``s3('https://...')`` ...) or by a quoted location in
a FROM clause (DuckDB ``FROM 's3://b/x.parquet'``) reads that location like any literal one.

BigQuery name rules (``NameContext.dialect == "bigquery"``), so that one logical table is
one dataset (BigQuery docs, "Introduction to partitioned tables" and "Querying multiple
tables using a wildcard table"):

* a partition decorator is dropped: ``t$20230101`` and ``t$__UNPARTITIONED__`` are ``t``;
* a date-sharded table is its shard family: ``events_20230101`` is ``events_yyyymmdd``
  (a valid ``YYYYMMDD`` date at the end of the name, after at least one character);
* a wildcard table is the same family: ``events_2023*`` and ``events_*`` are
  ``events_yyyymmdd`` (the digits before ``*`` are a date prefix).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlglot import exp

from lineage_engine.model import DatasetRef
from lineage_engine.parsing.dotted_names import split_dotted_name  # noqa: F401 - re-exported

UNQUALIFIED = "unqualified_name"
DYNAMIC = "dynamic_sql"
EXTERNAL = "external_location"
INVALID = "invalid_name"


@dataclass(frozen=True, slots=True)
class NameContext:
    """Session defaults used to qualify names (display spelling, as Snowflake reports it).

    Attributes:
        database: current database, e.g. ``PROD_DB``; None when the session has none.
        schema: current schema, e.g. ``RAW``; None when the session has none.
        dialect: the sqlglot dialect name (lower case), for dialect name rules (BigQuery
            shards and decorators, ``USE``).
    """

    database: str | None = None
    schema: str | None = None
    dialect: str = "snowflake"


def table_ref(
    table: exp.Table, context: NameContext, *, kind: str = "table"
) -> tuple[DatasetRef | None, str | None]:
    """Return the dataset a ``Table`` node names, qualified from ``context``.

    Args:
        table: a sqlglot ``exp.Table`` node.
        context: session defaults.
        kind: kind to give a table-like dataset (``table``, ``view``, ``external``).

    Returns:
        ``(ref, problem_code)``. ``ref`` is None when the node is not a dataset (a table
        function) or cannot be named (``problem_code`` ``dynamic_sql``, ``invalid_name``
        or ``external_location``). ``problem_code`` is ``unqualified_name`` when the ref is
        returned with fewer than three parts because the session lacked a default.
    """
    this = table.this
    if isinstance(this, exp.Identifier) and (this.args.get("temporary") or this.args.get("global_")):
        name = ("##" if this.args.get("global_") else "#") + this.this
        return DatasetRef(id=name.lower(), name=name), None
    if isinstance(this, exp.Parameter) and isinstance(this.this, exp.Var) and context.dialect == "tsql":
        name = "@" + this.this.name
        return DatasetRef(id="#" + name.lower(), name=name), None
    if isinstance(this, exp.Identifier):
        if this.quoted and "://" in this.this and table.args.get("db") is None:  # DuckDB: FROM 's3://b/x.parquet'
            ref = location_ref(this.this)
            return (ref, None) if ref is not None else (None, EXTERNAL)
        if this.quoted and context.dialect in _FILE_DIALECTS and _is_file_read(table):
            ref = location_ref(this.this)
            return (ref, None) if ref is not None else (None, EXTERNAL)
        schema = table.args.get("db")
        if isinstance(schema, str) and not schema and table.args.get("catalog") is not None:
            # ``db..t`` (Snowflake "double-dot notation"; T-SQL the same): the database's default schema
            schema = exp.to_identifier(_DOUBLE_DOT_SCHEMA.get(context.dialect or "", "PUBLIC"))
        parts = [_ident_part(table.args.get("catalog")), _ident_part(schema), _ident_part(this)]
        return qualified_ref([p for p in parts if p is not None], context, kind)
    if isinstance(this, exp.Dot):  # four or more parts: ``srv.db.s.t``
        tail = [_ident_part(p) for p in this.flatten()]
        parts = [_ident_part(table.args.get("catalog")), _ident_part(table.args.get("db")), *tail]
        return qualified_ref([p for p in parts if p is not None], context, kind)
    if isinstance(this, exp.DynamicIdentifier):
        inner = this.this
        if isinstance(inner, exp.Literal) and inner.is_string:
            split = split_dotted_name(inner.this)
            if split:
                return qualified_ref(split, context, kind)
            return None, INVALID
        return None, DYNAMIC
    if isinstance(this, exp.Anonymous) and str(this.this).upper() == "IDENTIFIER":
        return None, DYNAMIC  # Databricks IDENTIFIER(:param) (string literals are rewritten before parsing)
    if isinstance(this, exp.Var) and this.name.startswith("@"):
        return stage_ref(this.name, context)
    if isinstance(this, exp.Literal) and this.is_string:
        ref = location_ref(this.name)
        return (ref, None) if ref is not None else (None, EXTERNAL)
    location = file_function_location(this)
    if location is not None:
        ref = location_ref(location)
        return (ref, None) if ref is not None else (None, EXTERNAL)
    return None, None


_FILE_FUNCTIONS = frozenset(
    {"read_parquet", "parquet_scan", "read_csv", "read_csv_auto", "read_json", "read_json_auto", "read_ndjson",
     "read_ndjson_auto", "delta_scan", "iceberg_scan", "read_files", "s3", "s3cluster", "gcs", "url", "hdfs",
     "azureblobstorage", "deltalake", "iceberg"}
)


def file_function_location(node: exp.Expr | None) -> str | None:
    """Return the literal location a file-reading table function reads, or None.

    DuckDB ``read_parquet('s3://...')``, ``read_csv``, ``read_json``, ``delta_scan`` ...;
    Databricks ``read_files('s3://...')``; ClickHouse ``s3('https://...', 'CSV')``,
    ``url(...)``, ``hdfs(...)``: the first argument, when it is a string literal.
    """
    if isinstance(node, exp.Anonymous):
        name, args = str(node.this).lower(), list(node.expressions)
    elif isinstance(node, exp.Func):
        name = node.sql_name().lower()
        args = [node.this, *node.expressions] if isinstance(node.this, exp.Expr) else list(node.expressions)
    else:
        return None
    if name not in _FILE_FUNCTIONS or not args:
        return None
    first = args[0]
    return first.this if isinstance(first, exp.Literal) and first.is_string else None


_FILE_DIALECTS = frozenset({"spark", "spark2", "databricks", "hive"})
_FILE_FORMATS = frozenset({"parquet", "delta", "csv", "json", "orc", "avro", "text", "binaryfile"})


def _is_file_read(table: exp.Table) -> bool:
    """Return True for ``format.`path```: a file format as the only qualifier, a path-like name."""
    db = table.args.get("db")
    name = table.this.this
    return (isinstance(db, exp.Identifier) and not db.quoted and db.this.lower() in _FILE_FORMATS
            and table.args.get("catalog") is None and ("/" in name or ":" in name))


_LOCATION = re.compile(
    r"(?P<scheme>s3|s3a|s3n|s3gov|gcs|gs|azure|wasbs?|abfss?|hdfs|https?)://(?P<host>[^/?#\s]+)(?P<path>/[^?#\s]*)?",
    re.IGNORECASE,
)
_CONTAINER_SCHEMES = frozenset({"azure", "wasb", "wasbs", "abfs", "abfss", "http", "https"})


def location_ref(location: str) -> DatasetRef | None:
    """Return the external dataset a literal cloud location names, or None.

    Args:
        location: e.g. ``s3://bucket/exports/2026/``, ``gcs://bucket/x``,
            ``azure://acct.blob.core.windows.net/container/path``.

    Returns:
        ``DatasetRef(id="s3://bucket", kind="external")``: scheme and bucket (host), plus
        the container (first path segment) for Azure and HTTPS URLs; lower case; the rest
        of the path dropped (see the module docstring). None for anything else (a relative
        path, an unknown scheme).
    """
    match = _LOCATION.fullmatch(location.strip())
    if match is None:
        return None
    scheme, host = match["scheme"].lower(), match["host"].lower()
    base = f"{scheme}://{host}"
    container = (match["path"] or "").strip("/").split("/", 1)[0]
    if scheme in _CONTAINER_SCHEMES and container:
        base = f"{base}/{container.lower()}"
    return DatasetRef(id=base, name=base, kind="external")


def stage_ref(location: str, context: NameContext) -> tuple[DatasetRef | None, str | None]:
    """Return the stage a ``@stage/path`` location names.

    Args:
        location: text starting with ``@``; a path after the stage name is ignored.
        context: session defaults for an unqualified stage name.

    Returns:
        ``(ref, problem_code)`` as :func:`table_ref`; kind ``stage``, id starting ``@``.
    """
    body = location[1:]
    if body.startswith("~"):
        return DatasetRef(id="@~", name="@~", kind="stage"), None
    head, dot, last = _cut_path(body).rpartition(".")
    table_stage = last.startswith("%")  # @[db.schema.]%table: the table's own stage
    parts = split_dotted_name(head + dot + last.lstrip("%"))
    if not parts:
        return None, INVALID
    display, problem = qualified_parts(parts, context)
    if table_stage:
        display[-1] = "%" + display[-1]
    stage = DatasetRef.of(display, display=display, kind="stage")
    return DatasetRef(id="@" + stage.id, name="@" + stage.name, kind="stage"), problem


_DOUBLE_DOT_SCHEMA = {"tsql": "dbo", "fabric": "dbo"}
"""Schema of ``db..t`` per dialect (Snowflake and others: ``PUBLIC``; T-SQL: the default schema ``dbo``)."""


def _ident_part(node: exp.Expr | None) -> tuple[str, bool] | None:
    if node is None:
        return None
    if isinstance(node, exp.Identifier):
        return node.this, bool(node.args.get("quoted"))
    return node.name, False


def _cut_path(body: str) -> str:
    in_quotes = False
    for i, ch in enumerate(body):
        if ch == '"':
            in_quotes = not in_quotes
        elif ch == "/" and not in_quotes:
            return body[:i]
    return body


def qualified_ref(
    parts: list[tuple[str, bool]], context: NameContext, kind: str
) -> tuple[DatasetRef | None, str | None]:
    """Return the dataset named by ``(part, quoted)`` pairs, qualified from ``context``.

    Returns:
        ``(ref, problem_code)``; ``problem_code`` is ``unqualified_name`` when a default
        was missing (the ref then has fewer than three parts). Ids follow the quoting rule
        of :mod:`lineage_engine.model`.
    """
    display, problem = qualified_parts(parts, context)
    return DatasetRef.of(display, display=display, kind=kind), problem


def qualified_parts(parts: list[tuple[str, bool]], context: NameContext) -> tuple[list[str], str | None]:
    """Return the display parts of a name completed from ``context``, and a problem code or None.

    Unquoted parts fold to upper case (Snowflake); one part gets the session schema and
    database, two parts the database; ``unqualified_name`` when a needed default is missing.
    """
    display = [p if quoted else p.upper() for p, quoted in parts]
    if context.dialect == "bigquery" and display:
        display[-1] = bigquery_table_name(display[-1])
    problem = None
    if len(display) == 1:
        if context.schema is None:
            problem = UNQUALIFIED
        else:
            display.insert(0, context.schema)
    if len(display) == 2:
        if context.database is None:
            problem = UNQUALIFIED
        else:
            display.insert(0, context.database)
    return display, problem


_SHARD = re.compile(r"(.+?)(\d{4}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01]))")
_WILDCARD = re.compile(r"(.*?)\d*\*")
SHARD_SUFFIX = "yyyymmdd"


def bigquery_table_name(name: str) -> str:
    """Return a BigQuery table name without its partition decorator, shards as their family.

    ``t$20230101`` -> ``t``; ``events_20230101`` -> ``events_yyyymmdd``; ``events_2023*``
    -> ``events_yyyymmdd`` (see the module docstring). The case of the rest is kept.
    """
    base = name.split("$", 1)[0] or name
    wildcard = _WILDCARD.fullmatch(base)
    if wildcard is not None and wildcard.group(1):
        return wildcard.group(1) + SHARD_SUFFIX
    shard = _SHARD.fullmatch(base)
    if shard is not None:
        return shard.group(1) + SHARD_SUFFIX
    return base
