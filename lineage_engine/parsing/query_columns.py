"""Resolve a query's output columns to upstream dataset columns, with transforms.

:class:`QueryColumns` walks the sqlglot AST of one statement directly (no optimizer pass:
``qualify`` and ``sqlglot.lineage`` cost far more than the parse). Each SELECT gets a
:class:`~.column_sources.Scope`; CTEs are resolved lazily, once, when first referenced;
subqueries in expressions are resolved with the enclosing scope as parent (correlation).

Alongside the DIRECT dependencies of each output column, the walk collects the columns a
statement uses to choose rows (WHERE, HAVING, QUALIFY, JOIN ... ON / USING, GROUP BY,
ORDER BY with LIMIT, MERGE ON and WHEN conditions, and every column of a subquery used as
a predicate): :attr:`indirect`. They
apply to every target column of the statement (row selection propagates through joins).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from sqlglot import exp

from lineage_engine.parsing.column_sources import (
    Deps,
    DerivedRelation,
    FunctionRelation,
    Output,
    Relation,
    Scope,
    TableRelation,
    merge_deps,
    positional_names,
)
from lineage_engine.parsing.expression_columns import ExpressionColumns, output_name
from lineage_engine.parsing.normalize import file_function_location, table_ref
from lineage_engine.parsing.transforms import CAST, IDENTITY, along, function_name

_INDIRECT_CLAUSES = ("where", "having", "qualify", "group")
_FUNCTION_RELATIONS = (exp.Lateral, exp.Unnest, exp.TableFromRows)


class _Cte:
    __slots__ = ("node", "env", "outputs", "busy")

    def __init__(self, node: exp.CTE) -> None:
        self.node = node
        self.env: dict[str, _Cte] = {}
        self.outputs: list[Output] | None = None
        self.busy = False


class QueryColumns(ExpressionColumns):
    """Column resolver for one statement (not reusable across statements).

    Construct it as :class:`ExpressionColumns`; :attr:`indirect` and :attr:`unresolved`
    accumulate over every query and expression resolved with it.
    """

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
            return _union_by_name(left, right) if node.args.get("by_name") else _union(left, right)
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
        match = select.args.get("match")
        if isinstance(match, exp.MatchRecognize):
            scope = self._matched(match, scope, env, parent)
        outputs: list[Output] = []
        for item in select.expressions:
            star = _star_of(item)
            if star is not None:
                outputs.extend(self._expand(star, item, scope, env))
                continue
            deps = self.expression(item, scope, env)
            name = output_name(item)
            outputs.append(Output(name, deps))
            if isinstance(item, exp.Alias) or name not in scope.aliases:
                scope.aliases.setdefault(name, deps)
        for clause in _INDIRECT_CLAUSES:
            part = select.args.get(clause)
            if part is not None:
                self.indirect_from(part, scope, env, outputs if clause == "group" else None)
        order = select.args.get("order")
        if order is not None and (select.args.get("limit") is not None or select.args.get("fetch") is not None):
            self.indirect_from(order, scope, env)  # ORDER BY ... LIMIT n chooses rows
        return outputs

    def _matched(self, match: exp.MatchRecognize, scope: Scope, env: dict[str, _Cte], parent: Scope | None) -> Scope:
        """Return the scope after ``MATCH_RECOGNIZE``: its rows are the measures (``MEASURES f(x) AS m``:
        ``m`` from ``x``) with the partition columns (``ONE ROW PER MATCH``, the default) or with every
        input column (``ALL ROWS PER MATCH``). Read as the plain input, a measure was an unknown
        column (``<unresolved>.m``) and the value it carries was lost."""
        measures: list[Output] = []
        for measure in match.args.get("measures") or ():
            item = measure.this if isinstance(measure, exp.MatchRecognizeMeasure) else measure
            if isinstance(item, exp.Expr):
                measures.append(Output(output_name(item), self.expression(item, scope, env)))
        if "ALL" in str(match.args.get("rows") or "").upper():
            kept: list[Output] = []
            for relation in scope.relations.values():
                names = relation.names()
                if names is None:
                    kept.append(Output("*", relation.star()))
                else:
                    kept.extend(Output(n, relation.lookup(n) if n != "*" else relation.star()) for n in names)
        else:
            kept = [Output(output_name(c), self.expression(c, scope, env)) for c in match.args.get("partition_by") or ()]
        for clause in ("partition_by", "order"):
            part = match.args.get(clause)
            for node in part if isinstance(part, list) else [part] if part is not None else []:
                self.indirect_from(node, scope, env)
        matched = Scope(parent=parent, lateral_aliases=self.lateral_aliases)
        alias = match.args.get("alias")
        key = alias.name.lower() if isinstance(alias, exp.TableAlias) and alias.name else "#match"
        matched.add(key, DerivedRelation(kept + measures))
        return matched

    # -- relations -------------------------------------------------------------------------

    def join(self, join: exp.Join, scope: Scope, env: dict[str, _Cte]) -> None:
        """Add a joined relation to ``scope``; its ON / USING columns are INDIRECT."""
        before = len(scope.relations)
        self.add_relation(join.this, scope, env)
        on = join.args.get("on")
        if on is not None:
            self.indirect_from(on, scope, env)
        using = join.args.get("using") or ()
        joined = list(scope.relations.values())[before:] if using else []
        for ident in using:
            name = ident.name.lower()
            if len(joined) == 1:
                scope.join_using(name, joined[0])
            for key in (scope.find(name, use_aliases=False) or {}):
                self.indirect.setdefault(key, None)

    def add_relation(self, node: exp.Expr | None, scope: Scope, env: dict[str, _Cte]) -> None:
        """Add a FROM item (table, CTE reference, subquery, VALUES, table function) to ``scope``;
        a ``PIVOT`` / ``UNPIVOT`` on it gives the relation its pivoted columns (:meth:`_pivoted`)."""
        pivots = node.args.get("pivots") if isinstance(node, (exp.Table, exp.Subquery)) else None
        before = set(scope.relations) if pivots else set()
        self._add_relation(node, scope, env)
        if pivots:
            self._apply_pivots(pivots, before, scope, env)

    def _apply_pivots(self, pivots: list[exp.Expr], before: set[str], scope: Scope, env: dict[str, _Cte]) -> None:
        added = [key for key in scope.relations if key not in before]
        if not added:
            return
        key = added[0]
        relation = pivoted = scope.relations[key]
        for pivot in pivots:
            if isinstance(pivot, exp.Pivot):
                pivoted = self._pivoted(pivot, pivoted, env)
        scope.relations[key] = pivoted
        for name, other in list(scope.alternates.items()):
            if other is relation:
                scope.alternates[name] = pivoted
        for pivot in pivots:
            alias = pivot.args.get("alias")
            if alias is not None and alias.name:
                scope.add(alias.name.lower(), pivoted)

    def _pivoted(self, pivot: exp.Pivot, relation: Relation, env: dict[str, _Cte]) -> Relation:
        """Return the columns of ``relation`` after ``pivot``.

        ``UNPIVOT (val FOR name IN (a, b))``: ``val`` holds the values of every listed column,
        ``name`` only their names (no value), the listed columns are gone, the others stay.
        ``PIVOT (agg(v) FOR k IN ('x', 'y'))``: one column per listed value holding the
        aggregate; ``v`` and ``k`` are gone, the others stay (the grouping columns). A value's
        column is named by its alias, else ``'?'`` (design §5: a literal never becomes part of
        an id; the values may be PII), so unaliased values share one column.
        Unknown input columns keep the relation's ``*`` besides the new columns.
        """
        inner = Scope()
        inner.add("#pivot", relation)
        names = relation.names()
        fields = [f for f in pivot.args.get("fields") or () if isinstance(f, exp.In)]
        listed = [c for f in fields for c in f.expressions]
        if pivot.args.get("unpivot"):
            gone = {c.name.lower() for c in listed if isinstance(c, exp.Column)}
            values: Deps = {}
            for column in listed:
                merge_deps(values, self.expression(column, inner, env))
            new = [Output(f.this.name.lower(), {}) for f in fields]
            new += [Output(e.name.lower(), dict(values)) for e in pivot.expressions]
        else:
            gone = {c.name.lower() for f in fields for c in f.this.find_all(exp.Column)}
            gone.update(c.name.lower() for e in pivot.expressions for c in e.find_all(exp.Column))
            aggregate: Deps = {}
            for expression in pivot.expressions:
                merge_deps(aggregate, self.expression(expression, inner, env))
            new = [Output(_pivot_column(value), dict(aggregate)) for value in listed]
        if names is None:
            kept = [Output("*", relation.star())]
        else:
            kept = [Output(n, relation.lookup(n)) for n in names if n not in gone]
        return DerivedRelation(kept + new)

    def _add_relation(self, node: exp.Expr | None, scope: Scope, env: dict[str, _Cte]) -> None:
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
        if not isinstance(table.this, (exp.Identifier, exp.DynamicIdentifier)):  # IDENTIFIER('db.s.t') names a table
            if isinstance(table.this, exp.Func) and file_function_location(table.this) is None:
                self._add_function(table, scope, env)  # a file read (read_parquet('s3://...')) is a dataset
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

    def expand_star(self, scope: Scope) -> list[Output]:
        """Return the outputs of an unqualified ``*`` over ``scope``'s relations (``relation.*`` when unknown)."""
        star = exp.Star()
        return self._expand(star, star, scope)

    def _expand(self, star: exp.Star, item: exp.Expr, scope: Scope, env: dict[str, _Cte] | None = None) -> list[Output]:
        """Return the outputs of ``*`` / ``t.*`` with its ``EXCLUDE``, ``RENAME`` and ``REPLACE``:
        a replaced column is its expression (``* REPLACE (SHA2(email) AS email)`` is masked,
        ``* REPLACE (email AS name)`` moves the e-mail into ``name``), in the column's place."""
        qualifier = item.table.lower() if isinstance(item, exp.Column) else ""
        relations = [scope.qualified(qualifier)] if qualifier else list(scope.relations.values())
        excluded = {c.name.lower() for c in star.args.get("except_") or star.args.get("except") or ()}
        renamed = {a.this.name.lower(): a.alias.lower() for a in star.args.get("rename") or () if isinstance(a, exp.Alias)}
        matches = _ilike(star.args.get("ilike"))  # ``* ILIKE '%mail%'``: only the matching columns
        replaced = {a.alias.lower(): self.expression(a.this, scope, env or {})
                    for a in star.args.get("replace") or () if isinstance(a, exp.Alias)}
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
                if matches is not None and name != "*" and not matches(name):
                    continue
                if name in replaced:
                    outputs.append(Output(name, replaced[name]))
                elif name not in excluded:
                    outputs.append(Output(renamed.get(name, name), relation.lookup(name) if name != "*" else relation.star()))
        return outputs


def _ilike(pattern: exp.Expr | None) -> Callable[[str], bool] | None:
    """Return the test of Snowflake's ``SELECT * ILIKE 'pattern'`` (case-insensitive ``%`` / ``_``), or None.

    A pattern that is not a string literal keeps every column (over-report, never under).
    """
    if not isinstance(pattern, exp.Literal) or not pattern.is_string:
        return None
    regex = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern.this)
    return re.compile(regex, re.IGNORECASE | re.DOTALL).fullmatch  # type: ignore[return-value]


def _pivot_column(value: exp.Expr) -> str:
    """Return the column name of one ``PIVOT ... IN (...)`` value: its alias, else the literal redacted."""
    alias = value.args.get("alias") if isinstance(value, (exp.PivotAlias, exp.Alias)) else None
    if alias is not None and alias.name:
        return alias.name.lower()
    inner = value.this if isinstance(value, (exp.PivotAlias, exp.Alias)) else value
    if isinstance(inner, exp.Literal):
        return "'?'" if inner.is_string else "?"
    return inner.name.lower() if isinstance(inner, exp.Column) else "?"


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


def _union(left: list[Output], right: list[Output]) -> list[Output]:
    """Combine a set operation's outputs by position (the left's names; see :func:`_typed`)."""
    if len(right) > len(left) and not any(o.name == "*" for o in left):
        left = left + [Output(o.name, {}) for o in right[len(left):]]
    merged = [Output(o.name, dict(o.deps)) for o in left]
    for i, other in enumerate(right[: len(merged)]):
        merge_deps(merged[i].deps, other.deps)
    return [_typed(out, left[i].deps, right[i].deps if i < len(right) else {}) for i, out in enumerate(merged)]


def _union_by_name(left: list[Output], right: list[Output]) -> list[Output]:
    """Combine ``UNION [ALL] BY NAME`` outputs: columns match by name, not position.

    A name only on the right is a new column after the left's (Snowflake "Set operators": the
    queries may select different columns; the missing ones are NULL). An unexpanded star
    (``*``) matches only a star: its columns are unknown, so it stays a column of its own.
    Types: see :func:`_typed` (a name missing from one side is a NULL there: not a bare column).
    """
    merged = [Output(o.name, dict(o.deps)) for o in left]
    by_name = {o.name: o for o in merged}
    for other in right:
        same = by_name.get(other.name)
        if same is None:
            same = by_name[other.name] = Output(other.name, {})
            merged.append(same)
        merge_deps(same.deps, other.deps)
    lefts = {o.name: o.deps for o in left}
    rights = {o.name: o.deps for o in right}
    return [_typed(out, lefts.get(out.name, {}), rights.get(out.name, {})) for out in merged]


def _typed(merged: Output, left: Deps, right: Deps) -> Output:
    """Return a set operation's merged output column, ``cast`` unless both branches copy a column as is.

    Snowflake gives a set operation's column one type for every branch, the branches' common
    supertype ("Set operators", "Data type conversion": DATE with TIMESTAMP_LTZ is TIMESTAMP_LTZ),
    so a column's type is kept only when each branch at that position is a column copied as is
    (an ``identity`` dependency: then the copies' types must still agree, which typing checks);
    a literal, an expression, a cast or a missing column on either side makes every ``identity``
    dependency ``cast``: the value flows, the type is not known (review s15 T3).
    """
    if IDENTITY in left.values() and IDENTITY in right.values():
        return merged
    return Output(merged.name, {key: along(CAST, rank) for key, rank in merged.deps.items()})


def _renamed(outputs: list[Output], alias: exp.Expr | None) -> list[Output]:
    """Apply a column alias list ``AS t(a, b)`` positionally."""
    if not isinstance(alias, exp.TableAlias) or not alias.columns:
        return outputs
    return positional_names(outputs, [c.name.lower() for c in alias.columns], keep_rest=True)


__all__ = ["QueryColumns"]
