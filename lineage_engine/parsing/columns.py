"""Column-level lineage of one writing statement: which target column derives from which.

One function per statement shape, each returning a :class:`ColumnOutcome`:

* :func:`clone_columns`: ``CREATE ... CLONE``: every column, copied as is.
* :func:`create_columns`: CTAS and views; target columns are the query's output names, or
  the statement's column list (``CREATE VIEW v (a, b) AS``) position by position.
* :func:`insert_columns`: ``INSERT [OVERWRITE] INTO t [(cols)] SELECT | VALUES``; without a
  column list the target's columns come from the schema provider (minus static partition
  columns), else the query's output names are taken as the target's (confidence 0.8).
* :func:`multi_insert_columns`: ``INSERT ALL | FIRST``: per branch, its ``VALUES`` over the
  source query's columns, or all of them by position; branch conditions are INDIRECT.
* :func:`merge_columns`: ``WHEN MATCHED THEN UPDATE SET`` and ``WHEN NOT MATCHED THEN
  INSERT (cols) VALUES (...)``; ``ON`` and ``WHEN ... AND`` conditions are INDIRECT.
* :func:`update_columns`: ``UPDATE t SET c = expr [FROM ...] [WHERE ...]``.
* :func:`unload_columns`: ``COPY INTO @stage FROM (SELECT ...)``: the files get the query's
  output names (Snowflake writes them as Parquet column names / the CSV header), so a
  stage's "columns" are ``@db.schema.stage.name``.

The outputs become edges in :func:`.column_edges.column_edges` (INDIRECT fan-out,
confidence, order; edges inside the target itself are kept: the graph stores them, minus
a column to itself).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlglot import exp

from lineage_engine.model import SELECT_DATASET, ColumnLineage, DatasetRef, column_id
from lineage_engine.parsing.column_edges import ColumnOutcome, column_edges
from lineage_engine.parsing.column_sources import DerivedRelation, Output, Scope, TableRelation, positional_names
from lineage_engine.parsing.merge_clauses import PlainClause
from lineage_engine.parsing.normalize import NameContext
from lineage_engine.parsing.query_columns import QueryColumns, output_name
from lineage_engine.parsing.schema import SchemaProvider
from lineage_engine.parsing.transforms import EXPRESSION, IDENTITY, TRANSFORM_NAMES, FunctionRules

_GUESSED_TARGET = 0.8
SELECT_REF = DatasetRef(id=SELECT_DATASET, name=SELECT_DATASET, kind="query")
"""The pseudo-dataset of a plain SELECT's output columns (``<select>.col``)."""


@dataclass(frozen=True, slots=True)
class ColumnOptions:
    """What column extraction needs besides the statement.

    Attributes:
        schema: known columns per dataset id (None: none known).
        is_masking: what functions do to their input: mask, unmask, count, keep a
            fragment (see :mod:`.transforms`).
        lateral_aliases: the dialect lets a select item use an earlier item's alias.
    """

    schema: SchemaProvider | None
    is_masking: FunctionRules
    lateral_aliases: bool = False


def create_columns(
    node: exp.Create | exp.Query, target: DatasetRef, context: NameContext, options: ColumnOptions
) -> ColumnOutcome:
    """Return the column lineage of CTAS, a view, ``CREATE TABLE t (cols)`` or ``SELECT ... INTO t``."""
    if not isinstance(node, exp.Create):  # SELECT ... INTO t [UNION ...]: the query without INTO
        query = node.copy()
        first = query
        while isinstance(first, exp.SetOperation):
            first = first.this
        first.set("into", None)
        node = exp.Create(this=None, expression=query)
    declared = _declared_columns(node.this)
    query = node.expression
    if query is None or isinstance(query, exp.Table):  # CREATE TABLE t (cols) / LIKE / CLONE
        return ColumnOutcome(columns=declared)
    resolver = _resolver(context, options)
    outputs = resolver.query(query, {})
    if declared:
        outputs = _rename(outputs, declared)
    return column_edges(resolver, target, outputs, 1.0, learn=True)


def clone_columns(
    source: DatasetRef, target: DatasetRef, context: NameContext, options: ColumnOptions
) -> ColumnOutcome:
    """Return the column lineage of ``CREATE t CLONE s``: every column copied as is.

    Per column when the schema knows ``s``, else one certain ``s.* -> t.*`` edge.
    """
    known = options.schema.columns_of(source.id) if options.schema is not None else None
    names = list(known) if known else ["*"]
    edges = tuple(
        ColumnLineage(column_id(source.id, name), column_id(target.id, name), TRANSFORM_NAMES[IDENTITY], "DIRECT")
        for name in sorted(names)
    )
    return ColumnOutcome(edges=edges, columns=names if known else [])


def rename_column(old: str, new: str) -> Callable[..., ColumnOutcome]:
    """Return the column function of ``ALTER TABLE t RENAME COLUMN old TO new``: ``t.new <- t.old``
    (identity, the values stay) and, when the schema knows ``t``, its columns with ``old`` renamed."""
    old, new = old.lower(), new.lower()

    def compute(_node: exp.Expr, target: DatasetRef, _context: NameContext, options: ColumnOptions) -> ColumnOutcome:
        known = options.schema.columns_of(target.id) if options.schema is not None else None
        edge = ColumnLineage(column_id(target.id, old), column_id(target.id, new), TRANSFORM_NAMES[IDENTITY], "DIRECT")
        return ColumnOutcome(edges=(edge,), columns=[new if n == old else n for n in known] if known else [])

    return compute


def virtual_column_defs(defs: Sequence[exp.Expr]) -> list[tuple[str, exp.Expr]]:
    """Return ``(name, expression)`` (lower-case name) of the virtual columns among ``defs``, the column
    definitions of ``CREATE TABLE t (…)`` or the actions of ``ALTER TABLE t ADD [COLUMN]``: ``c type AS (expr)``
    (Snowflake "Virtual columns": computed from other columns of the same table when it is read)."""
    out = []
    for d in defs:
        if isinstance(d, exp.ColumnDef):
            for constraint in d.args.get("constraints") or []:
                kind = constraint.args.get("kind") if isinstance(constraint, exp.ColumnConstraint) else None
                if isinstance(kind, exp.ComputedColumnConstraint) and isinstance(kind.this, exp.Expr):
                    out.append((d.name.lower(), kind.this))
    return out


def virtual_columns(defs: Sequence[tuple[str, exp.Expr]]) -> Callable[..., ColumnOutcome]:
    """Return the column function of virtual columns ``t.c AS (expr)`` (:func:`virtual_column_defs`): an
    in-table edge ``t.c <- t.x`` for every column ``x`` the expression reads, ``identity`` for a bare
    column, else ``expression`` (a masking function in it is not judged: the value counts as flowing)."""

    def compute(_node: exp.Expr, target: DatasetRef, _context: NameContext, _options: ColumnOptions) -> ColumnOutcome:
        edges = set()
        for name, expr in defs:
            while isinstance(expr, exp.Paren):
                expr = expr.this
            transform = TRANSFORM_NAMES[IDENTITY if isinstance(expr, exp.Column) else EXPRESSION]
            for read in expr.find_all(exp.Column):
                if read.name and read.name.lower() != name:
                    edges.add(ColumnLineage(column_id(target.id, read.name.lower()), column_id(target.id, name),
                                            transform, "DIRECT"))
        return ColumnOutcome(edges=tuple(sorted(edges, key=lambda e: (e.target, e.source))))

    return compute


def drop_columns(names: Sequence[str]) -> Callable[..., ColumnOutcome]:
    """Return the column function of ``ALTER TABLE t DROP COLUMN names``: no edge; when the schema
    knows ``t``, its columns without ``names`` (lower-case)."""
    gone = {n.lower() for n in names}

    def compute(_node: exp.Expr, target: DatasetRef, _context: NameContext, options: ColumnOptions) -> ColumnOutcome:
        known = options.schema.columns_of(target.id) if options.schema is not None else None
        return ColumnOutcome(edges=(), columns=[n for n in known if n.lower() not in gone] if known else [])

    return compute


def insert_columns(node: exp.Insert, target: DatasetRef, context: NameContext, options: ColumnOptions) -> ColumnOutcome:
    """Return the column lineage of ``INSERT ... SELECT`` (or ``VALUES`` with subqueries)."""
    resolver = _resolver(context, options)
    env = _env(resolver, node)
    outputs = resolver.query(node.expression, env)
    if node.args.get("by_name"):  # INSERT INTO t BY NAME SELECT ...: matched on the select list's names
        return column_edges(resolver, target, outputs, 1.0)
    names, confidence = _target_names(node.this, target, options, len(outputs))
    if names:
        outputs = _rename(outputs, names)
    return column_edges(resolver, target, outputs, confidence)


def multi_insert_columns(
    node: exp.MultitableInserts, branches: Sequence[tuple[DatasetRef, exp.Insert, exp.Expr | None]],
    context: NameContext, options: ColumnOptions,
) -> dict[str, ColumnOutcome]:
    """Return per target id the column lineage of ``INSERT ALL | FIRST``.

    Args:
        node: the statement.
        branches: ``(target, INTO clause, WHEN condition or None)`` per branch, in order.
    """
    resolver = _resolver(context, options)
    source = resolver.query(node.args.get("source"), _env(resolver, node))
    scope = Scope(lateral_aliases=False)
    scope.add("", DerivedRelation(source))
    for _, _, condition in branches:
        if condition is not None:
            for key in resolver.expression(condition, scope, {}):
                resolver.indirect.setdefault(key, None)
    per_target: dict[str, list[Output]] = {}
    confidence = 1.0
    for target, insert, _ in branches:
        values = insert.expression
        if isinstance(values, exp.Values) and values.expressions:
            row = values.expressions[0].expressions if isinstance(values.expressions[0], exp.Tuple) else []
            outputs = [Output(output_name(v), resolver.expression(v, scope, {})) for v in row]
        else:
            outputs = source
        names, named = _target_names(insert.this, target, options, len(outputs))
        confidence = min(confidence, named)
        per_target.setdefault(target.id, []).extend(_rename(outputs, names) if names else outputs)
    return {
        target.id: column_edges(resolver, target, per_target[target.id], confidence)
        for target, _, _ in branches
    }


def merge_columns(
    node: exp.Merge, target: DatasetRef, context: NameContext, options: ColumnOptions,
    plain: tuple[PlainClause, ...] | None = None,
) -> ColumnOutcome:
    """Return the column lineage of MERGE: UPDATE SET and INSERT VALUES branches.

    ``UPDATE SET *`` / ``INSERT *`` (Databricks) and ``UPDATE ALL BY NAME`` / ``INSERT ALL
    BY NAME`` (Snowflake, read as the former) copy each source column into the target
    column of the same name: per column when the source's columns are known, else
    ``source.* -> target.*``.

    Args:
        plain: the WHEN clauses read from tokens when ``node`` carries only a stub
            (:mod:`.merge_clauses`); resolved exactly like parsed plain clauses.
    """
    resolver = _resolver(context, options)
    env: dict = {}
    source_scope = Scope()
    resolver.add_relation(node.args.get("using"), source_scope, env)
    scope = Scope(relations=dict(source_scope.relations), alternates=dict(source_scope.alternates))
    _add_target(scope, node.this, target, options)
    on = node.args.get("on")
    if on is not None:
        resolver.indirect_from(on, scope, env)
    outputs: list[Output] = []
    confidence = 1.0
    for clause in plain or ():
        used = scope if clause.matched else source_scope
        outputs.extend(Output(name, dict(resolver.resolve(src[1], src[0], used))) for name, src in clause.pairs)
    whens = node.args.get("whens")
    for when in whens.expressions if isinstance(whens, exp.Whens) and plain is None else ():
        condition = when.args.get("condition")
        if condition is not None:
            resolver.indirect_from(condition, scope, env)
        then = when.args.get("then")
        if _by_name(then):  # UPDATE SET * / INSERT * (Databricks), UPDATE|INSERT ALL BY NAME (Snowflake)
            known = options.schema.columns_of(target.id) if options.schema is not None else None
            outputs.extend(o for o in resolver.expand_star(source_scope) if not known or o.name in known)
        elif isinstance(then, exp.Update):
            outputs.extend(_assignments(resolver, then.expressions, scope, env))
        elif isinstance(then, exp.Insert):
            values = then.expression
            items = values.expressions if isinstance(values, exp.Tuple) else ([values] if isinstance(values, exp.Expr) else [])
            names = [c.name.lower() for c in then.this.expressions] if isinstance(then.this, exp.Tuple) else []
            if not names and items:
                known = options.schema.columns_of(target.id) if options.schema is not None else None
                names = list(known) if known else [_value_name(v) for v in items]
                confidence = min(confidence, 1.0 if known else _GUESSED_TARGET)
            outputs.extend(Output(name, resolver.expression(v, source_scope, env)) for name, v in zip(names, items))
    return column_edges(resolver, target, outputs, confidence)


def _by_name(then: exp.Expr | None) -> bool:
    """Return True for a MERGE action that copies every source column to the same-named target column."""
    if isinstance(then, exp.Update):
        return len(then.expressions) == 1 and isinstance(then.expressions[0], exp.Star)
    return isinstance(then, exp.Insert) and isinstance(then.this, exp.Star)


def update_columns(node: exp.Update, target: DatasetRef, context: NameContext, options: ColumnOptions) -> ColumnOutcome:
    """Return the column lineage of ``UPDATE t SET c = expr [FROM ...] [WHERE ...]``."""
    resolver = _resolver(context, options)
    env = _env(resolver, node)
    scope = Scope()
    from_ = node.args.get("from_")
    if isinstance(from_, exp.From):
        resolver.add_relation(from_.this, scope, env)
    joins = [*(node.args.get("joins") or ()), *(node.this.args.get("joins") or () if node.this else ())]
    for join in joins:
        resolver.join(join, scope, env)
    _add_target(scope, node.this, target, options)
    outputs = _assignments(resolver, node.expressions, scope, env)
    where = node.args.get("where")
    if where is not None:
        for key in resolver.expression(where, scope, env, aliases=False):
            resolver.indirect.setdefault(key, None)
    return column_edges(resolver, target, outputs, 1.0)


def unload_columns(query: exp.Expr, target: DatasetRef, context: NameContext, options: ColumnOptions) -> ColumnOutcome:
    """Return the column lineage of a query's output columns into ``target``, by output name.

    Used for ``COPY INTO @stage FROM (query)`` (an unload) and for a plain SELECT (the
    pseudo-dataset ``<select>``: what the query returned, read for access history).

    Args:
        query: the unloaded query (the ``FROM ( ... )`` subquery's inner query), or the
            SELECT statement itself.
        target: the stage, ``@db.schema.stage``; its columns are the query's output names
            (Snowflake, COPY INTO <location>: Parquet columns and the CSV ``HEADER`` take
            the select list's names); or :data:`SELECT_REF`.
    """
    resolver = _resolver(context, options)
    return column_edges(resolver, target, resolver.query(query, {}), 1.0)


# -- helpers ---------------------------------------------------------------------------------


def _add_target(scope: Scope, table: exp.Expr | None, target: DatasetRef, options: ColumnOptions) -> None:
    """Put the written table of MERGE/UPDATE in ``scope``, like any relation: an unqualified name
    that it may have (its columns unknown) and another relation may have too is ambiguous
    (``<unresolved>.x``, spread over both in the graph), never silently the other's."""
    columns = options.schema.columns_of(target.id) if options.schema is not None else None
    relation = TableRelation(target.id, columns)
    alias = table.alias.lower() if isinstance(table, exp.Table) else ""
    name = table.name.lower() if isinstance(table, exp.Table) else ""
    scope.add(alias or name, relation, name, ".".join(target.parts[-2:]), target.id)


def _assignments(resolver: QueryColumns, items: Sequence[exp.Expr], scope: Scope, env: dict) -> list[Output]:
    outputs = []
    for item in items:
        if isinstance(item, exp.EQ) and isinstance(item.this, exp.Column):
            outputs.append(Output(item.this.name.lower(), resolver.expression(item.expression, scope, env)))
    return outputs


def _value_name(value: exp.Expr) -> str:
    return value.name.lower() if isinstance(value, exp.Column) else ""


def _resolver(context: NameContext, options: ColumnOptions) -> QueryColumns:
    return QueryColumns(context, options.schema, options.is_masking, lateral_aliases=options.lateral_aliases)


def _env(resolver: QueryColumns, node: exp.Expr) -> dict:
    with_ = node.args.get("with_")
    return resolver.with_env(with_, {}) if isinstance(with_, exp.With) else {}


def _declared_columns(node: exp.Expr | None) -> list[str]:
    if not isinstance(node, exp.Schema):
        return []
    return [c.name.lower() for c in node.expressions if isinstance(c, (exp.ColumnDef, exp.Identifier, exp.Column))]


def _target_names(
    table: exp.Expr | None, target: DatasetRef, options: ColumnOptions, width: int
) -> tuple[list[str], float]:
    """Return the target's column names for an INSERT, and the confidence in them."""
    declared = _declared_columns(table)
    if declared:
        return declared, 1.0
    known = options.schema.columns_of(target.id) if options.schema is not None else None
    if known:
        partition = table.args.get("partition") if isinstance(table, exp.Table) else None
        static = {p.this.name.lower() for p in partition.expressions if isinstance(p, exp.EQ)} if partition else set()
        names = [c for c in known if c not in static]
        if len(names) >= width:
            return names, 1.0
    return [], _GUESSED_TARGET


def _rename(outputs: list[Output], names: Sequence[str]) -> list[Output]:
    return positional_names(outputs, names, keep_rest=False)


__all__ = [
    "ColumnOptions", "ColumnOutcome", "clone_columns", "create_columns", "insert_columns", "merge_columns",
    "multi_insert_columns", "update_columns",
]
