"""Resolve a query's output columns to upstream dataset columns, with transforms.

:class:`QueryColumns` walks the sqlglot AST of one statement directly (no optimizer pass:
``qualify`` and ``sqlglot.lineage`` cost far more than the parse). Each SELECT gets a
:class:`~.column_sources.Scope`; CTEs are resolved lazily, once, when first referenced;
subqueries in expressions are resolved with the enclosing scope as parent (correlation).

Alongside the DIRECT dependencies of each output column, the walk collects the columns a
statement uses to choose rows (WHERE, HAVING, QUALIFY, JOIN ... ON / USING, GROUP BY,
MERGE ON, and every column of a subquery used as a predicate): :attr:`indirect`. They
apply to every target column of the statement (row selection propagates through joins).
"""

from __future__ import annotations

from collections.abc import Callable

from sqlglot import exp

from lineage_engine.parsing.column_sources import (
    UNRESOLVED,
    DerivedRelation,
    Deps,
    FunctionRelation,
    Output,
    Relation,
    Scope,
    TableRelation,
    merge_deps,
)
from lineage_engine.parsing.normalize import NameContext, table_ref
from lineage_engine.parsing.schema import SchemaProvider
from lineage_engine.parsing.transforms import AGGREGATION, EXPRESSION, IDENTITY, MASKED, function_name, masking_branches

_KEEPS_VALUE = (exp.Cast, exp.TryCast, exp.Paren, exp.Alias)
_QUERY = (exp.Select, exp.SetOperation, exp.Subquery)
_INDIRECT_CLAUSES = ("where", "having", "qualify", "group")
_FUNCTION_RELATIONS = (exp.Lateral, exp.Unnest, exp.TableFromRows)


class _Cte:
    __slots__ = ("node", "env", "outputs", "busy")

    def __init__(self, node: exp.CTE) -> None:
        self.node = node
        self.env: dict[str, _Cte] = {}
        self.outputs: list[Output] | None = None
        self.busy = False


class QueryColumns:
    """Column resolver for one statement (not reusable across statements).

    Attributes:
        indirect: upstream column ids used to choose rows, in first-seen order.
        unresolved: how many column references could not be tied to one dataset.
    """

    def __init__(
        self,
        context: NameContext,
        schema: SchemaProvider | None,
        is_masking: Callable[[str], bool],
        *,
        lateral_aliases: bool,
    ) -> None:
        self.context = context
        self.schema = schema
        self.is_masking = is_masking
        self.lateral_aliases = lateral_aliases
        self.indirect: dict[str, None] = {}
        self.unresolved = 0

    # -- queries ---------------------------------------------------------------------------

    def query(self, node: exp.Expr | None, env: dict[str, _Cte], parent: Scope | None = None) -> list[Output]:
        """Return the output columns of a query node (SELECT, set operation, subquery, VALUES).

        Args:
            node: the query; anything else gives no outputs.
            env: CTEs visible at the query, name (lower case) -> CTE.
            parent: the enclosing scope, for correlated column references.
        """
        if node is None:
            return []
        with_ = node.args.get("with_")
        if isinstance(with_, exp.With) and with_.expressions:
            env = self.with_env(with_, env)
        if isinstance(node, exp.Select):
            return self._select(node, env, parent)
        if isinstance(node, exp.SetOperation):
            left = self.query(node.this, env, parent)
            right = self.query(node.expression, env, parent)
            return _union(left, right)
        if isinstance(node, (exp.Subquery, exp.Paren)):
            return self.query(node.this, env, parent)
        if isinstance(node, exp.Values):
            return self._values(node, env, parent)
        return []

    def with_env(self, with_: exp.With, env: dict[str, _Cte]) -> dict[str, _Cte]:
        """Return ``env`` extended with the CTEs of ``with_`` (resolved lazily, once)."""
        env = dict(env)
        recursive = bool(with_.args.get("recursive"))
        for node in with_.expressions:
            cte = _Cte(node)
            name = node.alias_or_name.lower()
            if recursive or isinstance(node.this, exp.SetOperation):
                env[name] = cte
            cte.env = dict(env)
            env[name] = cte
        return env

    def _cte_outputs(self, cte: _Cte) -> list[Output]:
        if cte.outputs is None:
            if cte.busy:  # a recursive reference: the anchor branch gives the columns
                return []
            cte.busy = True
            outputs = self.query(cte.node.this, cte.env)
            cte.outputs = _renamed(outputs, cte.node.args.get("alias"))
            cte.busy = False
        return cte.outputs

    def _values(self, node: exp.Values, env: dict[str, _Cte], parent: Scope | None) -> list[Output]:
        scope = Scope(parent=parent)
        width = max((len(row.expressions) for row in node.expressions if isinstance(row, exp.Tuple)), default=0)
        outputs = [Output(f"column{i + 1}", {}) for i in range(width)]
        for row in node.expressions:
            if isinstance(row, exp.Tuple):
                for i, value in enumerate(row.expressions):
                    merge_deps(outputs[i].deps, self.expression(value, scope, env))
        return _renamed(outputs, node.args.get("alias"))

    def _select(self, select: exp.Select, env: dict[str, _Cte], parent: Scope | None) -> list[Output]:
        scope = Scope(parent=parent, lateral_aliases=self.lateral_aliases)
        from_ = select.args.get("from_")
        if isinstance(from_, exp.From):
            self.add_relation(from_.this, scope, env)
        for join in select.args.get("joins") or ():
            self.join(join, scope, env)
        for lateral in select.args.get("laterals") or ():
            self.add_relation(lateral, scope, env)
        outputs: list[Output] = []
        for item in select.expressions:
            star = _star_of(item)
            if star is not None:
                outputs.extend(self._expand(star, item, scope))
                continue
            deps = self.expression(item, scope, env)
            name = output_name(item)
            outputs.append(Output(name, deps))
            if isinstance(item, exp.Alias) or name not in scope.aliases:
                scope.aliases.setdefault(name, deps)
        for clause in _INDIRECT_CLAUSES:
            part = select.args.get(clause)
            if part is not None:
                self._indirect(part, scope, env, outputs if clause == "group" else None)
        return outputs

    # -- relations -------------------------------------------------------------------------

    def join(self, join: exp.Join, scope: Scope, env: dict[str, _Cte]) -> None:
        """Add a joined relation to ``scope``; its ON / USING columns are INDIRECT."""
        self.add_relation(join.this, scope, env)
        on = join.args.get("on")
        if on is not None:
            self._indirect(on, scope, env)
        for ident in join.args.get("using") or ():
            for key in (scope.find(ident.name.lower(), use_aliases=False) or {}):
                self.indirect.setdefault(key, None)

    def add_relation(self, node: exp.Expr | None, scope: Scope, env: dict[str, _Cte]) -> None:
        """Add a FROM item (table, CTE reference, subquery, VALUES, table function) to ``scope``."""
        if isinstance(node, exp.Table):
            self._add_table(node, scope, env)
            for join in node.args.get("joins") or ():
                self.join(join, scope, env)
        elif isinstance(node, exp.Subquery) and _joined_tables(node):
            self.add_relation(node.this, scope, env)  # ((a JOIN b ON ...)): parenthesised joins
            for join in node.args.get("joins") or ():
                self.join(join, scope, env)
        elif isinstance(node, (exp.Subquery, exp.Values)):
            outputs = self.query(node.this if isinstance(node, exp.Subquery) else node, env, None)
            outputs = _renamed(outputs, node.args.get("alias")) if isinstance(node, exp.Subquery) else outputs
            scope.add(node.alias.lower() or f"#{len(scope.relations)}", DerivedRelation(outputs))
        elif isinstance(node, _FUNCTION_RELATIONS):
            self._add_function(node, scope, env)

    def _add_table(self, table: exp.Table, scope: Scope, env: dict[str, _Cte]) -> None:
        name = table.name.lower()
        alias = table.alias.lower() or name
        if table.args.get("db") is None and isinstance(table.this, exp.Identifier) and name in env:
            outputs = self._cte_outputs(env[name])
            scope.add(alias, DerivedRelation(_renamed(outputs, table.args.get("alias"))), name)
            return
        if not isinstance(table.this, exp.Identifier):
            if isinstance(table.this, exp.Func):
                self._add_function(table, scope, env)
                return
        ref, _problem = table_ref(table, self.context)
        if ref is None:
            scope.add(alias, Relation())
            return
        columns = self.schema.columns_of(ref.id) if self.schema is not None else None
        relation = TableRelation(ref.id, columns)
        scope.add(alias, relation, name, ".".join(ref.parts[-2:]), ref.id)

    def _add_function(self, node: exp.Expr, scope: Scope, env: dict[str, _Cte]) -> None:
        inner = node.this if isinstance(node, (exp.Lateral, exp.TableFromRows, exp.Table)) else node
        flatten = isinstance(inner, exp.Explode) or (function_name(inner) or "") == "FLATTEN"
        inputs = self.expression(inner, scope, env) if inner is not None else {}
        alias = node.args.get("alias")
        columns = [c.name.lower() for c in alias.columns] if isinstance(alias, exp.TableAlias) else []
        key = (alias.name if alias is not None else "").lower() or f"#{len(scope.relations)}"
        scope.add(key, FunctionRelation(columns, inputs, flatten=flatten))

    # -- expressions -----------------------------------------------------------------------

    def expression(self, node: exp.Expr, scope: Scope, env: dict[str, _Cte], *, aliases: bool = False) -> Deps:
        """Return the upstream columns of one expression, with the transform of each."""
        out: Deps = {}
        self._walk(node, IDENTITY, scope, env, out, aliases)
        return out

    def _walk(self, node: exp.Expr, level: int, scope: Scope, env: dict[str, _Cte], out: Deps, aliases: bool) -> None:
        if isinstance(node, exp.Column):
            if isinstance(node.this, exp.Star):
                relation = scope.qualified(node.table.lower())
                deps = relation.star() if relation is not None else {}
            else:
                deps = self.column(node, scope, aliases)
            _add(out, deps, level)
            return
        if isinstance(node, exp.Star):  # COUNT(*): every relation's rows
            for relation in scope.relations.values():
                _add(out, relation.star(), level)
            return
        if isinstance(node, _QUERY):
            for output in self.query(node, env, scope):
                _add(out, output.deps, level)
            return
        if isinstance(node, exp.Window):
            self._walk(node.this, level, scope, env, out, aliases)
            inner = min(level, EXPRESSION)
            for part in node.args.get("partition_by") or ():
                self._walk(part, inner, scope, env, out, aliases)
            order = node.args.get("order")
            if order is not None:
                self._walk(order, inner, scope, env, out, aliases)
            return
        if isinstance(node, (exp.Literal, exp.Identifier, exp.DataType, exp.Var, exp.JSONPath)):
            return
        if not isinstance(node, _KEEPS_VALUE):
            name = function_name(node)
            if name is not None and self.is_masking(name):
                level = MASKED
            elif isinstance(node, (exp.AggFunc, exp.WithinGroup)):
                level = min(level, AGGREGATION)
            elif level > MASKED and masking_branches(node):
                level = MASKED
            else:
                level = min(level, EXPRESSION)
        for child in node.iter_expressions():
            self._walk(child, level, scope, env, out, aliases)

    def column(self, node: exp.Column, scope: Scope, aliases: bool = False) -> Deps:
        """Resolve one column reference in ``scope`` (see :mod:`.column_sources`)."""
        name = node.name.lower()
        qualifier = node.table.lower()
        if qualifier:
            relation = scope.qualified(qualifier)
            if relation is None and node.args.get("db") is not None:
                relation = scope.qualified(f"{node.args['db'].name.lower()}.{qualifier}")
            if relation is not None:
                return relation.lookup(name)
            struct = scope.find(qualifier, use_aliases=aliases)  # ``s.field``: a struct column s
            if struct is not None and not any(k.startswith(UNRESOLVED) for k in struct):
                return {key: min(rank, EXPRESSION) for key, rank in struct.items()}
            self.unresolved += 1
            return {f"{UNRESOLVED}.{name}": IDENTITY}
        found = scope.find(name, use_aliases=aliases)
        if found is None or (len(found) == 1 and next(iter(found)).startswith(UNRESOLVED)):
            self.unresolved += 1
            return found if found is not None else {f"{UNRESOLVED}.{name}": IDENTITY}
        return found

    def _indirect(self, node: exp.Expr, scope: Scope, env: dict[str, _Cte], outputs: list[Output] | None = None) -> None:
        parts = node.expressions if isinstance(node, exp.Group) else [node]
        for part in parts:
            if outputs is not None and isinstance(part, exp.Literal) and part.is_int:
                position = int(part.this) - 1  # GROUP BY 2: the second select item
                deps = outputs[position].deps if 0 <= position < len(outputs) else {}
            else:
                deps = self.expression(part, scope, env, aliases=True)
            for key in deps:
                self.indirect.setdefault(key, None)

    def _expand(self, star: exp.Star, item: exp.Expr, scope: Scope) -> list[Output]:
        qualifier = item.table.lower() if isinstance(item, exp.Column) else ""
        relations = [scope.qualified(qualifier)] if qualifier else list(scope.relations.values())
        excluded = {c.name.lower() for c in star.args.get("except") or ()}
        renamed = {a.this.name.lower(): a.alias.lower() for a in star.args.get("rename") or () if isinstance(a, exp.Alias)}
        outputs: list[Output] = []
        for relation in relations:
            if relation is None:
                self.unresolved += 1
                continue
            names = relation.names()
            if names is None:
                self.unresolved += 1
                outputs.append(Output("*", relation.star()))
                continue
            for name in names:
                if name not in excluded:
                    outputs.append(Output(renamed.get(name, name), relation.lookup(name) if name != "*" else relation.star()))
        return outputs


def output_name(item: exp.Expr) -> str:
    """Return the lower-case name a select item gets.

    An alias, else the column's name (also through a ``::`` cast, as PostgreSQL and
    sqllineage name it), else the item's SQL text, lower-cased (``count(*)``,
    ``cast(col1 as timestamp)``), with every literal replaced by ``?``: a literal may hold
    PII and must not become part of a column id (design §5).
    """
    if isinstance(item, exp.Alias):
        return item.alias.lower()
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


def _joined_tables(node: exp.Subquery) -> bool:
    """Return True for parentheses around tables and joins, not around a query."""
    inner: exp.Expr | None = node
    while isinstance(inner, exp.Subquery):
        inner = inner.this
    return isinstance(inner, exp.Table)


def _star_of(item: exp.Expr) -> exp.Star | None:
    if isinstance(item, exp.Star):
        return item
    if isinstance(item, exp.Column) and isinstance(item.this, exp.Star):
        return item.this
    return None


def _add(out: Deps, deps: Deps, level: int) -> None:
    for key, rank in deps.items():
        rank = rank if rank < level else level
        if out.get(key, -1) < rank:
            out[key] = rank


def _union(left: list[Output], right: list[Output]) -> list[Output]:
    if len(right) > len(left) and not any(o.name == "*" for o in left):
        left = left + [Output(o.name, {}) for o in right[len(left):]]
    merged = [Output(o.name, dict(o.deps)) for o in left]
    for i, other in enumerate(right[: len(merged)]):
        merge_deps(merged[i].deps, other.deps)
    return merged


def _renamed(outputs: list[Output], alias: exp.Expr | None) -> list[Output]:
    """Apply a column alias list ``AS t(a, b)`` positionally."""
    if not isinstance(alias, exp.TableAlias) or not alias.columns:
        return outputs
    names = [c.name.lower() for c in alias.columns]
    return [Output(names[i], o.deps) if i < len(names) else o for i, o in enumerate(outputs)]


def unresolved_key(key: str) -> bool:
    """Return True for a source column id whose dataset is unresolved."""
    return key.startswith(UNRESOLVED)


__all__ = ["Deps", "Output", "QueryColumns", "output_name", "unresolved_key"]
