"""Statements that move dataset identity or change the session: ALTER, DROP, USE, commands.

* ``ALTER TABLE|VIEW a RENAME TO b`` -> :attr:`Operation.RENAME`; ``SWAP WITH`` -> SWAP; any
  other ALTER of a table or view -> :attr:`Operation.ALTER` (no data moves), only when the
  extraction reports operations (``queries=True``).
* ``ALTER TABLE t DROP [COLUMN] [IF EXISTS] a [, b]`` -> an UPDATE of ``t`` that reads nothing
  and overwrites ``t.a``, ``t.b`` (Snowflake "ALTER TABLE": the columns and their data are
  gone, so their lineage ends there) and, when the schema knows ``t``, its columns without them.
* ``DROP TABLE|VIEW`` -> :attr:`Operation.DROP`, one per table.
* Containers (issue 10): ``DROP SCHEMA|DATABASE`` and ``CREATE OR REPLACE SCHEMA|DATABASE``
  -> :attr:`Operation.DROP` of a ref of kind ``schema`` (id ``db.s``) or ``database`` (id
  ``db``); ``UNDROP TABLE|SCHEMA|DATABASE`` -> :attr:`Operation.UNDROP`; ``ALTER
  SCHEMA|DATABASE a RENAME TO b`` -> :attr:`Operation.RENAME` between containers, ``… SWAP
  WITH b`` -> :attr:`Operation.SWAP` between them. The graph applies them to every dataset
  inside (``CONTAINER_KINDS`` in the model).
* ``USE`` changes the name context of the statements after it, per dialect (below).
* ``ALTER TABLE a EXCHANGE PARTITION (...) WITH TABLE b`` (Hive) -> an INSERT into ``a``
  from ``b`` (sqlglot keeps it an opaque command; the names are read from its text).
* Snowflake ``CREATE [OR REPLACE] STREAM st ON TABLE|VIEW s`` -> a view ``st`` of ``s``:
  a stream returns the changed rows of its source, so reading it reads ``s``.
* ``ALTER TABLE t APPEND FROM s`` (Redshift: moves the rows of ``s`` into ``t``) -> an
  INSERT into ``t`` from ``s``.
* Vertica's partition functions, called in a SELECT with table names as strings:
  ``COPY_PARTITIONS_TO_TABLE`` / ``MOVE_PARTITIONS_TO_TABLE(source, min, max, target)``
  -> an INSERT into ``target`` from ``source``; ``SWAP_PARTITIONS_BETWEEN_TABLES(staging,
  min, max, target)`` -> an INSERT each way (the partitions are exchanged, as SWAP WITH).
* An opaque sqlglot ``Command`` that looks materializing is reported ``unsupported``;
  ``EXECUTE IMMEDIATE`` is reported ``dynamic_sql``.
"""

from __future__ import annotations

import re
from dataclasses import replace

from sqlglot import exp

from lineage_engine.model import DatasetRef, Operation, Problem, column_id
from lineage_engine.parsing import columns as col
from lineage_engine.parsing.builder import StatementBuilder as _Builder
from lineage_engine.parsing.chunks import PARTITION_FUNCTIONS
from lineage_engine.parsing.normalize import qualified_ref, split_dotted_name
from lineage_engine.parsing.problems import name_problem, unsupported_problem

_RENAME_OR_SWAP = re.compile(r"\b(rename\s+to|swap\s+with)\b", re.IGNORECASE)
_DML_COMMANDS = frozenset({"INSERT", "MERGE", "UPDATE", "DELETE", "COPY"})
_DDL_COMMANDS = frozenset({"CREATE", "DROP", "ALTER"})
_EXCHANGE = re.compile(
    r"\s*TABLE\s+([\w$.`\"]+)\s+EXCHANGE\s+PARTITION\s*\(.*\)\s*WITH\s+TABLE\s+([\w$.`\"]+)\s*$",
    re.IGNORECASE | re.DOTALL,
)
_APPEND = re.compile(r"\s*TABLE\s+([\w$.`\"]+)\s+APPEND\s+FROM\s+([\w$.`\"]+)(\s+\w+)?\s*$", re.IGNORECASE)
_STREAM = re.compile(
    r"\s*(?:OR\s+REPLACE\s+)?STREAM\s+(?:IF\s+NOT\s+EXISTS\s+)?([\w$.`\"]+)(?:\s+COPY\s+GRANTS)?"
    r"\s+ON\s+(?:EXTERNAL\s+TABLE|TABLE|VIEW|DYNAMIC\s+TABLE)\s+([\w$.`\"]+)", re.IGNORECASE)
_CONTAINER_RENAME = re.compile(
    r"\s*(SCHEMA|DATABASE)\s+(?:IF\s+EXISTS\s+)?([\w$.`\"]+)\s+(RENAME\s+TO|SWAP\s+WITH)\s+([\w$.`\"]+)\s*$",
    re.IGNORECASE)
_CONTAINERS = {"SCHEMA": "schema", "DATABASE": "database"}
_ALTERED = re.compile(r"\s*(TABLE|VIEW)\s+(?:IF\s+EXISTS\s+)?([\w$.`\"]+)", re.IGNORECASE)
# CREATE/DROP/ALTER of a table or view: up to four words (OR REPLACE, flavours) before it.
_TABLE_OR_VIEW = re.compile(r"\s*(?:[a-z_]+\s+){0,4}?(?:table|view)\b", re.IGNORECASE)


def alter(b: _Builder, node: exp.Alter) -> None:
    """ALTER TABLE|VIEW ... RENAME TO / SWAP WITH (one action); ``RENAME COLUMN a TO b``: the table's
    ``b`` holds what ``a`` held (an in-table edge ``b <- a``, and the learned columns renamed);
    other ALTERs are operations only."""
    kind = str(node.args.get("kind") or "").upper()
    actions = node.args.get("actions") or []
    if kind not in ("TABLE", "VIEW"):
        return
    ds_kind = "view" if kind == "VIEW" else "table"
    dropped = _dropped_columns(actions) if kind == "TABLE" else None
    if dropped:
        target = b.ref(node.this, kind=ds_kind)
        if target is not None:
            b.emit(Operation.UPDATE, target, columns=b.column_outcome(col.drop_columns(dropped), node, target),
                   overwrites=tuple(column_id(target.id, name) for name in dropped))
        return
    virtual = col.virtual_column_defs(actions) if kind == "TABLE" else []
    if virtual:  # ADD COLUMN c AS (expr): c shows what expr reads, an in-table edge (review s18)
        emit_virtual_columns(b, b.ref(node.this, kind=ds_kind), virtual, node)
        return
    action = actions[0] if len(actions) == 1 else None
    if b.queries and not isinstance(action, (exp.AlterRename, exp.SwapTable, exp.RenameColumn)):
        b.emit(Operation.ALTER, b.ref(node.this, kind=ds_kind))
        return
    if isinstance(action, exp.AlterRename):
        target = b.ref(node.this, kind=ds_kind)
        new = b.ref(action.this, kind=ds_kind, role="target")
        if new is not None:
            b.emit(Operation.RENAME, target, counterpart=new)
    elif isinstance(action, exp.RenameColumn) and isinstance(action.args.get("to"), exp.Expr):
        target = b.ref(node.this, kind=ds_kind)
        if target is not None:
            renamed = col.rename_column(action.this.name, action.args["to"].name)
            outcome = b.column_outcome(renamed, node, target)
            moves = tuple((e.source, e.target) for e in (outcome.edges if outcome is not None else ()))
            b.emit(Operation.UPDATE, target, [target], columns=outcome, column_moves=moves)
    elif isinstance(action, exp.SwapTable):
        target = b.ref(node.this, kind=ds_kind)
        other = b.ref(action.this, kind=ds_kind, role="target")
        if other is not None:
            b.emit(Operation.SWAP, target, counterpart=other)


def emit_virtual_columns(b: _Builder, target: DatasetRef | None, virtual: list[tuple[str, exp.Expr]],
                         node: exp.Expr, *, temporary: bool = False) -> None:
    """Emit the in-table edges of ``target``'s virtual columns (:func:`~lineage_engine.parsing.columns.virtual_columns`)
    as an ``UPDATE`` of ``target`` reading itself, as ``RENAME COLUMN`` does (nothing closed)."""
    if target is not None:
        b.emit(Operation.UPDATE, target, [target], temporary=temporary,
               columns=b.column_outcome(col.virtual_columns(virtual), node, target))


_COLUMN_DROP = re.compile(r"\s*DROP\s+(?:COLUMN\s+)?(?:IF\s+EXISTS\s+)?(.+?)\s*$", re.IGNORECASE | re.DOTALL)
_NAME = re.compile(r'\s*(?:"((?:[^"]|"")+)"|([A-Za-z_][\w$]*))\s*$')
_NOT_COLUMNS = frozenset({"CONSTRAINT", "PRIMARY", "UNIQUE", "FOREIGN", "ROW", "ALL", "SEARCH", "CLUSTERING",
                          "AGGREGATION", "JOIN", "PROJECTION", "STORAGE", "MASKING", "TAG", "PARTITION",
                          "PARTITIONS", "INDEX", "FEATURE", "CONTACT"})
"""First words after ``ALTER TABLE t DROP`` that drop something other than columns."""


def _dropped_columns(actions: list[exp.Expr]) -> list[str]:
    """Return the (lower-case) columns ``ALTER TABLE t DROP [COLUMN] a, b`` drops; [] for any other ALTER.

    sqlglot parses ``DROP COLUMN a, b``; ``DROP a, b`` (COLUMN is optional in Snowflake) stays an
    opaque command, read here when it is a plain list of names.
    """
    names: list[str] = []
    for action in actions:
        if isinstance(action, exp.Drop) and str(action.args.get("kind") or "").upper() == "COLUMN":
            found = [c.name for c in action.args.get("tables") or [] if isinstance(c, (exp.Column, exp.Identifier))]
            if not found:
                return []
            names.extend(found)
        elif isinstance(action, exp.Command) and str(action.this or "").upper() == "DROP":
            rest = action.expression
            match = _COLUMN_DROP.match("DROP " + (rest.name if isinstance(rest, exp.Expr) else str(rest or "")))
            parts = match.group(1).strip().removeprefix("(").removesuffix(")").split(",") if match else []
            plain = [_NAME.match(p) for p in parts]
            if not plain or any(m is None for m in plain) or parts[0].split()[0].upper() in _NOT_COLUMNS:
                return []
            names.extend(m.group(1).replace('""', '"') if m.group(1) else m.group(2) for m in plain if m)
        else:
            return []
    return [n.lower() for n in names]


def drop(b: _Builder, node: exp.Drop) -> None:
    """DROP TABLE|VIEW: one DROP per table; DROP SCHEMA|DATABASE: one DROP of the container."""
    kind = str(node.args.get("kind") or "").upper()
    if kind in _CONTAINERS:
        for table in node.args.get("tables") or []:
            b.emit(Operation.DROP, container_ref(b, _parts(table), _CONTAINERS[kind]))
        return
    if kind not in ("TABLE", "VIEW"):
        return
    for table in node.args.get("tables") or []:
        b.emit(Operation.DROP, b.ref(table, kind="view" if kind == "VIEW" else "table"))


def undrop(b: _Builder, node: exp.Undrop) -> None:
    """UNDROP TABLE|SCHEMA|DATABASE: the latest drop of the object (or container) is undone."""
    kind = str(node.args.get("kind") or "").upper()
    if kind in _CONTAINERS:
        b.emit(Operation.UNDROP, container_ref(b, _parts(node.this), _CONTAINERS[kind]))
    elif kind in ("TABLE", "VIEW"):
        b.emit(Operation.UNDROP, b.ref(node.this, kind="view" if kind == "VIEW" else "table"))


def replace_container(b: _Builder, node: exp.Create) -> None:
    """CREATE OR REPLACE SCHEMA|DATABASE: the old contents are dropped (the new one is empty).

    ``CREATE [OR REPLACE] SCHEMA|DATABASE s CLONE other`` (after that drop) is a CLONE between
    the containers: the graph copies every dataset ``other`` holds at that instant into ``s``
    (:mod:`lineage_engine.graph.containers`).
    """
    kind = str(node.args.get("kind") or "").upper()
    if kind not in _CONTAINERS:
        return
    if node.args.get("replace"):
        b.emit(Operation.DROP, container_ref(b, _parts(node.this), _CONTAINERS[kind]))
    clone = node.args.get("clone")
    if isinstance(clone, exp.Clone) and clone.this is not None:
        source = container_ref(b, _parts(clone.this), _CONTAINERS[kind])
        target = container_ref(b, _parts(node.this), _CONTAINERS[kind])
        if source is not None and target is not None:
            b.emit(Operation.CLONE, target, [source])


def container_ref(b: _Builder, parts: list[tuple[str, bool]], kind: str) -> DatasetRef | None:
    """Return the schema (``db.s``) or database (``db``) named by ``(part, quoted)`` pairs.

    A one-part schema takes the session database; a name that cannot be completed (no
    session database) or has too many parts is a ``unqualified_name``/``invalid_name``
    problem and no ref.
    """
    wanted = 2 if kind == "schema" else 1
    display = [p if quoted else p.upper() for p, quoted in parts]
    if len(display) == 1 and wanted == 2:
        if b.context.database is None:
            b.outcome.problems.append(name_problem("unqualified_name", statement_index=b.index, role="target"))
            return None
        display.insert(0, b.context.database)
    if len(display) != wanted:
        b.outcome.problems.append(name_problem("invalid_name", statement_index=b.index, role="target"))
        return None
    return DatasetRef.of(display, kind=kind)


def _parts(node: exp.Expr | None) -> list[tuple[str, bool]]:
    """Return the ``(name, quoted)`` parts of a Table node that names a schema or database."""
    if not isinstance(node, exp.Table):
        return []
    out = []
    for key in ("catalog", "db", "this"):
        part = node.args.get(key)
        if isinstance(part, exp.Identifier):
            out.append((part.this, bool(part.args.get("quoted"))))
    return out


# ``USE x`` names a schema here (Hive and MySQL databases are schemas: ``db.table``).
_USE_SETS_SCHEMA = frozenset({"hive", "spark", "spark2", "databricks", "mysql", "doris", "starrocks", "trino",
                              "presto", "athena", "clickhouse", "singlestore"})
# Schema a database starts in when ``USE`` names only the database.
_DEFAULT_SCHEMA = {"tsql": "dbo", "fabric": "dbo", "duckdb": "main", "snowflake": "PUBLIC"}


def use(b: _Builder, node: exp.Use) -> None:
    """USE: change the name context of the statements after it, per dialect.

    * Snowflake (and dialects without a rule of their own): ``USE [DATABASE] db`` sets the
      database, schema ``PUBLIC``; ``USE SCHEMA s`` the schema; ``USE [SCHEMA] db.s`` both.
    * T-SQL: ``USE db`` sets the database, schema ``dbo``; DuckDB: schema ``main``.
    * Hive, Spark, Databricks, MySQL, Trino, Presto, Athena: ``USE x`` and ``USE
      DATABASE|SCHEMA x`` set the schema (the database, or catalog, is unchanged);
      ``USE c.s`` both; Databricks ``USE CATALOG c`` sets the catalog and resets the
      schema to ``default`` (Databricks SQL reference, USE CATALOG).
    * ``USE WAREHOUSE|ROLE|SECONDARY ROLES``: nothing.
    """
    kind = str(node.args.get("kind") or "").upper()
    table = node.this
    if kind not in ("", "DATABASE", "SCHEMA", "CATALOG") or not isinstance(table, exp.Table):
        return
    parts = [p for p in (table.args.get("catalog"), table.args.get("db"), table.this) if p is not None]
    names = [p.this if isinstance(p, exp.Identifier) and p.args.get("quoted") else p.name.upper() for p in parts]
    ctx = b.context
    dialect = ctx.dialect
    if kind == "CATALOG":
        new = replace(ctx, database=names[-1], schema="DEFAULT")
    elif len(names) >= 2:
        new = replace(ctx, database=names[-2], schema=names[-1])
    elif kind == "SCHEMA" or dialect in _USE_SETS_SCHEMA:
        new = replace(ctx, schema=names[-1])
    else:
        new = replace(ctx, database=names[-1], schema=_DEFAULT_SCHEMA.get(dialect, "PUBLIC"))
    b.outcome.context = new


def command(b: _Builder, node: exp.Command) -> None:
    """An opaque command: Hive partition exchange, or a problem when it looks materializing."""
    keyword = str(node.this or "").upper()
    rest = node.expression
    text = rest.name if isinstance(rest, exp.Expr) else str(rest or "")
    exchange = _EXCHANGE.match(text) if keyword == "ALTER" else None
    if exchange is not None:  # Hive: the partition's rows move from the second table into the first
        target, source = (_named(b, exchange.group(i)) for i in (1, 2))
        if target is not None and source is not None:
            b.emit(Operation.INSERT, target, [source])
        return
    stream = _STREAM.match(text) if keyword == "CREATE" else None
    if stream is not None:  # Snowflake: a stream's rows are the changes of its table
        target, source = (_named(b, stream.group(i)) for i in (1, 2))
        if target is not None and source is not None:
            target = replace(target, kind="view")
            b.emit(Operation.VIEW, target, [source], replaces=True,
                   columns=b.column_outcome(col.clone_columns, source, target))
        return
    append = _APPEND.match(text) if keyword == "ALTER" else None
    if append is not None:  # Redshift: the source's rows move into the target
        target, source = (_named(b, append.group(i)) for i in (1, 2))
        if target is not None and source is not None:
            b.emit(Operation.INSERT, target, [source])
        return
    renamed = _CONTAINER_RENAME.match(text) if keyword == "ALTER" else None
    if renamed is not None:  # ALTER SCHEMA|DATABASE a RENAME TO | SWAP WITH b (sqlglot keeps it a command)
        kind = _CONTAINERS[renamed.group(1).upper()]
        old, new = (split_dotted_name(renamed.group(i).replace("`", '"')) for i in (2, 4))
        source = container_ref(b, old, kind) if old else None
        target = container_ref(b, new, kind) if new else None
        if source is not None and target is not None:
            swap = renamed.group(3).upper().startswith("SWAP")
            b.emit(Operation.SWAP if swap else Operation.RENAME, source, counterpart=target)
        return
    altered = _ALTERED.match(text) if keyword == "ALTER" and b.queries else None
    if altered is not None and not _RENAME_OR_SWAP.search(text):
        b.emit(Operation.ALTER, _named(b, altered.group(2)))
    elif keyword in _DML_COMMANDS or (
        keyword in _DDL_COMMANDS and _TABLE_OR_VIEW.match(text) and (keyword != "ALTER" or _RENAME_OR_SWAP.search(text))
    ):
        b.outcome.problems.append(unsupported_problem(statement_index=b.index, keyword=keyword))
    elif keyword == "EXECUTE" and text.upper().startswith("IMMEDIATE"):
        b.outcome.problems.append(
            Problem(
                code="dynamic_sql",
                message=f"statement {b.index + 1}: EXECUTE IMMEDIATE runs SQL built at run time; its "
                "lineage appears only in the statements it runs",
                statement_index=b.index,
            )
        )


def partition_function(b: _Builder, node: exp.Select) -> bool:
    """Emit the lineage of ``SELECT <Vertica partition function>(...)``; False when it is not one.

    Vertica SQL reference, "Partition functions": the first argument names the table the
    partitions come from, the fourth the table they go to; SWAP exchanges them.
    """
    call = node.expressions[0] if len(node.expressions) == 1 else None
    if not isinstance(call, exp.Anonymous) or str(call.this).upper() not in PARTITION_FUNCTIONS:
        return False
    args = call.expressions
    if len(args) < 4 or not all(isinstance(a, exp.Literal) and a.is_string for a in (args[0], args[3])):
        return True  # names built at run time: nothing to name
    source, target = _named(b, args[0].name), _named(b, args[3].name)
    if source is None or target is None:
        return True
    b.emit(Operation.INSERT, target, [source])
    if str(call.this).upper() == "SWAP_PARTITIONS_BETWEEN_TABLES":
        b.emit(Operation.INSERT, source, [target])
    return True


def _named(b: _Builder, text: str) -> DatasetRef | None:
    parts = split_dotted_name(text.replace("`", '"'))
    if parts is None:
        return None
    ref, problem = qualified_ref(parts, b.context, "table")
    if problem is not None:
        b.outcome.problems.append(name_problem(problem, statement_index=b.index, role="target"))
    return ref
