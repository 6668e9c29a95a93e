"""Snowflake session variables: ``SET v = (SELECT email FROM t)`` and later ``$v`` (review s11 T4).

Pure: stdlib, sqlglot and :mod:`lineage_engine.model`. Snowflake "SET" initializes a session
variable with the result of an expression, which may be a query (the documentation's own
example: ``SET cust_last_name = (SELECT lname FROM customers WHERE customer_id = 100)``); a
later statement of the same session uses the value as ``$cust_last_name``. The value flows
from the table read into whatever the later statement writes, across rows of the query
history, exactly as a temporary table's rows do.

So a variable is read as a session-scoped temporary dataset ``#$v`` (the ``#`` marks it
temporary, as T-SQL's ``#t``; never a graph node) with one column ``value``:

* :func:`set_variables`: ``SET v = expr`` and ``SET (a, b) = (e1, e2)`` write ``#$v`` (a
  temporary CTAS of ``SELECT expr AS value``): its reads are the statement's reads and
  ``#$v.value`` derives from what the expression reads (nothing for a constant).
* :func:`variables_as_reads`: a ``$v`` where a value is produced (select lists, ``VALUES``,
  ``SET`` of an UPDATE, MERGE's clauses, another SET) is rewritten into the scalar subquery
  ``(SELECT value FROM #$v)`` before the statement is read, so the temporary-table resolution
  of the crawl (:mod:`.temp_tables`) carries the variable's upstreams into the target. A ``$v``
  in a condition (``WHERE``, ``ON``, ``HAVING``, ``QUALIFY``, ``ORDER BY`` ...) only chooses rows
  and stays as it is; so do ``$1`` (a position) and ``IDENTIFIER($v)`` / ``TABLE($v)`` (a name).
"""

from __future__ import annotations

from sqlglot import exp

from lineage_engine.model import DatasetRef, Operation
from lineage_engine.parsing import columns as col
from lineage_engine.parsing.builder import StatementBuilder

VALUE = "value"
"""The one column of a variable's temporary dataset."""

_CONDITIONS = frozenset({"where", "on", "having", "qualify", "order", "group", "limit", "offset",
                         "match_condition", "partition_by", "connect", "start"})
"""Argument names under which an expression only chooses or orders rows (no value flows out)."""


def variable_table(name: str) -> exp.Table:
    """Return the table node of variable ``name``'s temporary dataset (id ``#$name``, lower-case)."""
    return exp.Table(this=exp.Identifier(this="$" + name.lower(), temporary=True))


def variables_as_reads(node: exp.Expr) -> None:
    """Rewrite, in place, each ``$v`` that produces a value into ``(SELECT value FROM #$v)``."""
    for param in list(node.find_all(exp.Parameter)):
        var = param.this
        if not isinstance(var, exp.Var) or not var.name or param.parent is None or _in_condition_or_name(param):
            continue
        query = exp.Subquery(this=exp.select(exp.column(VALUE)).from_(variable_table(var.name)))
        if isinstance(param.parent, exp.Select) and param.arg_key == "expressions":  # keep the output name
            param.replace(exp.Alias(this=query, alias=exp.to_identifier("$" + var.name.lower(), quoted=True)))
        else:
            param.replace(query)


def set_variables(b: StatementBuilder, node: exp.Set) -> None:
    """Emit the temporary CTAS of each variable ``SET`` assigns (Snowflake only; other dialects' SET is not this)."""
    if b.context.dialect != "snowflake":
        return
    for item in node.expressions:
        if not isinstance(item, exp.SetItem) or str(item.args.get("kind") or "").upper() != "VARIABLE":
            continue
        assign = item.this
        if not isinstance(assign, exp.EQ):
            continue
        names, values = assign.this, assign.expression
        if isinstance(names, exp.Paren):  # SET (a) = (...)
            names = names.this
        pairs: list[tuple[exp.Expr, exp.Expr]]
        if isinstance(names, exp.Tuple) and isinstance(values, exp.Tuple):
            pairs = list(zip(names.expressions, values.expressions))
        else:
            pairs = [(names, values)]
        for name, value in pairs:
            if not isinstance(name, exp.Column) or not name.name or value is None:
                continue
            target = DatasetRef(id="#$" + name.name.lower(), name="$" + name.name.lower())
            query = exp.select(exp.Alias(this=value.copy(), alias=exp.to_identifier(VALUE)))
            b.emit(Operation.CREATE, target, b.upstreams(query), replaces=True, temporary=True,
                   columns=b.column_outcome(col.unload_columns, query, target))


def _in_condition_or_name(node: exp.Expr) -> bool:
    child, parent = node, node.parent
    while parent is not None:
        if isinstance(parent, (exp.DynamicIdentifier, exp.Table)) or child.arg_key in _CONDITIONS:
            return True
        if isinstance(parent, (exp.Window, exp.WithinGroup)) and child.arg_key != "this":
            return True
        child, parent = parent, parent.parent
    return False
