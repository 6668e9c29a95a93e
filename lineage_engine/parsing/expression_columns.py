"""The expression half of column resolution: which upstream columns an expression uses, how.

:class:`ExpressionColumns` walks one expression of a SELECT (a select item, a WHERE or
JOIN condition, a MERGE assignment) and returns ``{upstream column id: transform rank}``
(see :mod:`.transforms`): a column reference resolves through the SELECT's
:class:`~.column_sources.Scope`; a function, CASE or aggregate on the way lowers the
transform; a subquery inside the expression is resolved by :meth:`query`, which
:class:`~.query_columns.QueryColumns` provides. Columns used to choose rows are added
to :attr:`indirect` by :meth:`indirect_from`.
"""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from lineage_engine.model import column_id
from lineage_engine.parsing.column_sources import UNRESOLVED, Deps, Output, Scope
from lineage_engine.parsing.normalize import NameContext
from lineage_engine.parsing.schema import SchemaProvider
from lineage_engine.parsing.transforms import (
    BRANCHING,
    CAST,
    CONDITION,
    EXPRESSION,
    IDENTITY,
    FunctionRules,
    along,
    branch_conditions,
    branch_results,
    function_name,
    is_constant,
)

_KEEPS_VALUE = (exp.Paren, exp.Alias)
# A cast keeps the value, not its type (``CAST``, ``::``, ``TRY_CAST``, and the casts sqlglot makes of
# ``TO_GEOGRAPHY``/``TO_GEOMETRY``): transform ``cast`` (review s15 T1).
_CASTS = (exp.Cast, exp.CastToStrType)
QUERY_NODES = (exp.Select, exp.SetOperation, exp.Subquery)
_LEAVES = (exp.Literal, exp.Identifier, exp.DataType, exp.Var, exp.JSONPath, exp.Null, exp.Boolean, exp.Placeholder)
# How an expression node class changes a column's transform, decided once per class.
(_SKIP, _COLUMN, _STAR, _QUERY_KIND, _WINDOW, _KEEP, _FUNCTION, _NAMED, _AGGREGATE, _BRANCHES, _COMPUTE, _ORDER, _WITHIN,
 _POSITION, _BY_KEY, _CAST) = range(16)
_KINDS: dict[type, int] = {}
# BigQuery pseudo-columns: the shard suffix of a wildcard table and ingestion-time partitions
# (BigQuery docs, "Querying multiple tables using a wildcard table", "Partitioned tables").
_BIGQUERY_PSEUDO_COLUMNS = frozenset({"_table_suffix", "_partitiontime", "_partitiondate"})


class ExpressionColumns:
    """Column resolver state for one statement, and the expression walk.

    Attributes:
        indirect: upstream column ids used to choose rows, in first-seen order.
        unresolved: how many column references could not be tied to one dataset.
    """

    def __init__(
        self,
        context: NameContext,
        schema: SchemaProvider | None,
        is_masking: FunctionRules,
        *,
        lateral_aliases: bool,
    ) -> None:
        """Start an empty resolver.

        Args:
            context: session defaults for table names.
            schema: known columns per dataset id, or None.
            is_masking: says what each function does to its input (masks, unmasks,
                counts, keeps a fragment; :mod:`.transforms`).
            lateral_aliases: a select item may use an earlier item's alias (dialect).
        """
        self.context = context
        self.schema = schema
        self.is_masking = is_masking
        self.lateral_aliases = lateral_aliases
        self.indirect: dict[str, None] = {}
        self.unresolved = 0

    def query(self, node: exp.Expr | None, env: dict[str, Any], parent: Scope | None = None) -> list[Output]:
        """Return a query's output columns; provided by :class:`~.query_columns.QueryColumns`."""
        raise NotImplementedError

    def expression(self, node: exp.Expr, scope: Scope, env: dict[str, Any], *, aliases: bool = False) -> Deps:
        """Return the upstream columns of one expression, with the transform of each."""
        bare = node.this if type(node) is exp.Alias else node
        if type(bare) is exp.Column and type(bare.this) not in (exp.Star, exp.Parameter):  # the common case: a copy
            return dict(self.column(bare, scope, aliases))
        out: Deps = {}
        self._walk(node, IDENTITY, scope, env, out, aliases)
        return out

    def _walk(self, node: exp.Expr, level: int, scope: Scope, env: dict[str, Any], out: Deps, aliases: bool) -> None:
        cls = type(node)
        kind = _KINDS.get(cls)
        if kind is None:
            kind = _KINDS[cls] = _kind_of(cls)
        if kind == _SKIP:
            return
        if kind == _POSITION:  # ``$2``: the second column of the FROM clause (``$var``: a session variable)
            position = _position(node)
            if position is not None:
                _add(out, scope.positional(position), level)
            return
        if kind == _COLUMN:
            if type(node.this) is exp.Star:
                relation = scope.qualified(node.table.lower())
                deps = relation.star() if relation is not None else {}
            elif type(node.this) is exp.Parameter:  # ``t.$2``: the second column of t
                position = _position(node.this)
                deps = scope.positional(position, node.table.lower()) if position is not None else {}
            else:
                deps = self.column(node, scope, aliases)
            _add(out, deps, level)
            return
        if kind == _STAR:  # COUNT(*) counts rows: it carries no column (README, "Lineage semantics")
            expand = getattr(self, "expand_star", None)
            if expand is not None and not isinstance(node.parent, exp.Count):
                for output in expand(scope):  # OBJECT_CONSTRUCT(*), HASH(*) ...: every column of the relations
                    _add(out, output.deps, level)
            return
        if kind == _QUERY_KIND:
            for output in self.query(node, env, scope):
                _add(out, output.deps, level)
            return
        if kind == _WINDOW:
            # PARTITION BY and ORDER BY choose which rows a window function sees and in which
            # order: no value of theirs reaches the result (OpenLineage: INDIRECT, WINDOW).
            self._walk(node.this, level, scope, env, out, aliases)
            chooses = along(level, CONDITION)
            for part in node.args.get("partition_by") or ():
                self._walk(part, chooses, scope, env, out, aliases)
            order = node.args.get("order")
            if order is not None:
                self._walk(order, chooses, scope, env, out, aliases)
            return
        if kind == _WITHIN:  # ARRAY_AGG(x) WITHIN GROUP (ORDER BY k): the aggregate, then its order
            self._walk(node.this, level, scope, env, out, aliases)
            order = node.args.get("expression")
            if order is not None:
                self._walk(order, level, scope, env, out, aliases)
            return
        if kind == _ORDER:  # LISTAGG(x, ',') WITHIN GROUP (ORDER BY k): k orders the values (INDIRECT)
            if node.this is not None:
                self._walk(node.this, level, scope, env, out, aliases)
            chooses = along(level, CONDITION)
            for key in node.expressions:
                self._walk(key, chooses, scope, env, out, aliases)
            return
        if kind == _BY_KEY:
            # MAX_BY(value, key[, n]) / MIN_BY (ARG_MAX, ARG_MIN): the value of the row with the
            # largest key; the key only chooses that row, none of its values reaches the result
            # (INDIRECT, as a window's ORDER BY). Snowflake docs, "MAX_BY".
            level = along(level, self.is_masking.transform_of(node))
            self._walk(node.this, level, scope, env, out, aliases)
            key = node.args.get("expression")
            if key is not None:
                self._walk(key, along(level, CONDITION), scope, env, out, aliases)
            return
        if kind == _FUNCTION or kind == _AGGREGATE:
            level = along(level, self.is_masking.transform_of(node))
        elif kind == _NAMED:  # a UDF: masking, unmasking or counting by name?
            name = function_name(node)
            level = along(level, EXPRESSION if name is None else self.is_masking.by_name(name, aggregate=False))
        elif kind == _BRANCHES:
            level = along(level, EXPRESSION)
            # A column only in the conditions of a CASE/IFF whose results are all constants
            # chooses a constant: it carries no value (INDIRECT, issue 10).
            results = branch_results(node)
            chooses = along(level, CONDITION) if all(is_constant(r) for r in results) else level
            for condition in branch_conditions(node):
                self._walk(condition, chooses, scope, env, out, aliases)
            for result in results:
                if result is not None:
                    self._walk(result, level, scope, env, out, aliases)
            return
        elif kind == _COMPUTE:
            level = along(level, EXPRESSION)
        elif kind == _CAST:
            level = along(level, CAST)
        for child in node.iter_expressions():
            child_kind = _KINDS.get(type(child))
            if child_kind == _SKIP:  # identifiers, literals, types: most children
                continue
            if child_kind == _COLUMN and type(child.this) not in (exp.Star, exp.Parameter):
                _add(out, self.column(child, scope, aliases), level)
                continue
            self._walk(child, level, scope, env, out, aliases)

    def column(self, node: exp.Column, scope: Scope, aliases: bool = False) -> Deps:
        """Resolve one column reference in ``scope`` (see :mod:`.column_sources`)."""
        ident = node.this
        name = (ident.this if type(ident) is exp.Identifier else node.name).lower()
        table = node.args.get("table")
        qualifier = (table.this if type(table) is exp.Identifier else node.table).lower() if table is not None else ""
        db = node.args.get("db")
        return self.resolve(name, qualifier, scope, aliases, db.name.lower() if db is not None else None)

    def resolve(self, name: str, qualifier: str, scope: Scope, aliases: bool = False, db: str | None = None) -> Deps:
        """Resolve column ``[db.]qualifier.name`` (lower case; qualifier may be empty) in ``scope``.

        Returns:
            ``{upstream column id: transform}``; the caller must not mutate it. An
            unresolvable reference gives ``<unresolved>.name`` and counts in
            :attr:`unresolved`. A BigQuery pseudo-column (``_TABLE_SUFFIX`` of a wildcard
            table, ``_PARTITIONTIME`` ...) names no stored column: no dependency.
        """
        if name in _BIGQUERY_PSEUDO_COLUMNS and self.context.dialect == "bigquery" and (
                not qualifier or scope.find(name, use_aliases=False) is None):
            return {}
        if qualifier:
            relation = scope.qualified(qualifier)
            if relation is None and db is not None:
                relation = scope.qualified(f"{db}.{qualifier}")
            if relation is not None:
                return relation.lookup(name)
            struct = scope.find(qualifier, use_aliases=aliases)  # ``s.field``: a struct column s
            if struct is not None and not any(k.startswith(UNRESOLVED) for k in struct):
                return {key: along(EXPRESSION, rank) for key, rank in struct.items()}
            self.unresolved += 1
            return {column_id(UNRESOLVED, name): IDENTITY}
        found = scope.find(name, use_aliases=aliases)
        if found is None or (len(found) == 1 and next(iter(found)).startswith(UNRESOLVED)):
            self.unresolved += 1
            return found if found is not None else {column_id(UNRESOLVED, name): IDENTITY}
        return found

    def indirect_from(self, node: exp.Expr, scope: Scope, env: dict[str, Any], outputs: list[Output] | None = None) -> None:
        """Add the columns of a row-choosing clause to :attr:`indirect` (GROUP BY 2: item 2)."""
        parts = node.expressions if isinstance(node, exp.Group) else [node]
        for part in parts:
            if outputs is not None and isinstance(part, exp.Literal) and part.is_int:
                position = int(part.this) - 1  # GROUP BY 2: the second select item
                deps = outputs[position].deps if 0 <= position < len(outputs) else {}
            else:
                deps = self.expression(part, scope, env, aliases=True)
            for key in deps:
                self.indirect.setdefault(key, None)

def output_name(item: exp.Expr) -> str:
    """Return the lower-case name a select item gets.

    An alias, else the column's name (also through a ``::`` cast, as PostgreSQL and
    sqllineage name it), else the item's SQL text, lower-cased (``count(*)``,
    ``cast(col1 as timestamp)``), with every literal replaced by ``?``: a literal may hold
    PII and must not become part of a column id (design §5).
    """
    if isinstance(item, exp.Alias):
        return item.alias.lower()
    position = _position(item.this if isinstance(item, exp.Column) else item) if isinstance(
        item, (exp.Column, exp.Parameter)) else None
    if position is not None:  # ``$3`` is named ``$3`` (a position, never a literal value)
        return f"${position}"
    inner = item
    # sqlglot 30.22 builds ``x::t`` with only this/to args; CAST(x AS t) also has "format".
    while isinstance(inner, exp.Cast) and "format" not in inner.args:
        inner = inner.this
    if isinstance(inner, (exp.Column, exp.Dot)) and inner.output_name:
        return inner.output_name.lower()
    if not isinstance(item, exp.Literal) and item.find(exp.Literal) is None:
        return item.sql(comments=False).lower()
    redacted = item.transform(lambda n: exp.Placeholder() if isinstance(n, exp.Literal) else n, copy=True)
    return redacted.sql(comments=False).lower()


def _kind_of(cls: type) -> int:
    """Classify an AST node class for :meth:`QueryColumns._walk` (memoized in ``_KINDS``).

    The class decides everything but the function rules, which depend on the configured
    lists: sqlglot function classes ask :meth:`FunctionRules.transform_of` (memoized per
    class), UDF calls are checked by name each time.
    """
    if issubclass(cls, exp.Column):
        return _COLUMN
    if issubclass(cls, exp.Star):
        return _STAR
    if issubclass(cls, QUERY_NODES):
        return _QUERY_KIND
    if issubclass(cls, exp.Window):
        return _WINDOW
    if issubclass(cls, exp.Parameter):
        return _POSITION
    if issubclass(cls, _LEAVES):
        return _SKIP
    if issubclass(cls, _CASTS):
        return _CAST
    if issubclass(cls, _KEEPS_VALUE):
        return _KEEP
    if issubclass(cls, (exp.Anonymous, exp.Dot)):
        return _NAMED
    if issubclass(cls, exp.WithinGroup):
        return _WITHIN
    if issubclass(cls, exp.Order):
        return _ORDER
    if issubclass(cls, (exp.ArgMax, exp.ArgMin)):
        return _BY_KEY
    if issubclass(cls, exp.AggFunc):
        return _AGGREGATE
    if issubclass(cls, BRANCHING):
        return _BRANCHES
    if issubclass(cls, exp.Func):
        return _FUNCTION
    return _COMPUTE


def _position(node: exp.Expr) -> int | None:
    """Return N of a positional column reference ``$N`` (Snowflake SELECT: ``[t.]$col_position``), else None."""
    inner = node.this
    if isinstance(inner, exp.Literal) and not inner.is_string and inner.this.isdigit() and int(inner.this) > 0:
        return int(inner.this)
    return None


def _add(out: Deps, deps: Deps, level: int) -> None:
    """Add ``deps`` seen under ``level`` to ``out``: combined along, the most revealing kept."""
    for key, rank in deps.items():
        rank = along(level, rank)
        if out.get(key, -2) < rank:
            out[key] = rank
