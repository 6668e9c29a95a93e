"""Calls of external functions: the columns passed as arguments leave the account (issue 14 §4).

Pure: sqlglot and :mod:`lineage_engine.model` / :mod:`lineage_engine.parsing.normalize`.
An external function (``CREATE EXTERNAL FUNCTION``) sends its arguments to a remote service
through an API integration (docs.snowflake.com, sql-reference/external-functions): every
call in any statement (a SELECT, the query of an INSERT, a MERGE …) is egress of the columns
it is given. Each call becomes a lineage event into the function's destination dataset
``extfn:<database.schema.name>`` (kind ``function``), one column per argument column, as an
``INSERT`` (added, never replacing): the function holds what it was sent from the call on.

Argument columns are resolved through sqlglot's scopes to the base tables they come from:
a column of a derived table or CTE is followed to the columns of its projection (of every
branch of a ``UNION``, by position); an
unqualified column of a query over several tables counts for each of them that may hold it
(more rather than fewer: a false negative is the worse error).

What is sent is judged like any column edge (:mod:`lineage_engine.parsing.transforms`): an
argument that passes through a masking function on its way into the call
(``f(SHA2(email))``) sends the masked value, a counting aggregate a number: the edge is
``masked`` or ``counted`` and carries no value of the column (no egress of it); an
unmasking function (``f(DETOKENIZE(t))``) sends the value again.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlglot import exp
from sqlglot.optimizer.scope import Scope, traverse_scope

from lineage_engine.access.drift import EXTERNAL_FUNCTION_PREFIX
from lineage_engine.model import TRANSFORMS, ColumnLineage, ColumnRef, DatasetRef, LineageEvent, Operation, dataset_of
from lineage_engine.parsing.normalize import NameContext, table_ref
from lineage_engine.parsing.transforms import IDENTITY, FunctionRules, along, function_rules
from lineage_engine.transform_lists import TransformFunctions



def destination_of(function_id: str) -> DatasetRef:
    """Return the destination dataset of an external function (``extfn:db.schema.name``)."""
    return DatasetRef(id=EXTERNAL_FUNCTION_PREFIX + function_id, name=EXTERNAL_FUNCTION_PREFIX + function_id,
                      kind="function")


def mentions(text: str, names: Collection[str]) -> bool:
    """Return True when ``text`` may call one of the functions (last name parts, lower-case)."""
    low = text.lower()
    return any(name in low for name in names)


def _function_id(call: exp.Anonymous, context: NameContext) -> str | None:
    parts: list[str] = [call.name]
    node: exp.Expr = call
    while isinstance(node.parent, exp.Dot) and node.parent.expression is node:
        left = node.parent.this
        if isinstance(left, exp.Dot):
            parts = [p.name for p in left.flatten()] + parts
        else:
            parts = [left.name, *parts]
        node = node.parent
    display = [p.upper() for p in parts]
    if len(display) == 1 and context.schema:
        display.insert(0, context.schema.upper())
    if len(display) == 2 and context.database:
        display.insert(0, context.database.upper())
    return ".".join(p.lower() for p in display) if len(display) == 3 else None


def _resolve(scope: Scope, column: exp.Column, context: NameContext, depth: int = 0) -> set[str]:
    """Return the base table column ids ``column`` (in ``scope``) takes its value from."""
    if depth > 20:
        return set()
    name = column.name.lower()
    if column.table:
        sources = [scope.sources.get(column.table)]
    else:
        sources = list(scope.sources.values()) if len(scope.sources) != 1 else [next(iter(scope.sources.values()))]
    out: set[str] = set()
    for source in sources:
        if isinstance(source, exp.Table):
            ref, _ = table_ref(source, context)
            if ref is not None:
                out.add(ColumnRef(ref.id, name).id)
        elif isinstance(source, Scope):
            out |= _from_query(source, name, None, context, depth)
    return out


def _from_query(source: Scope, name: str, index: int | None, context: NameContext, depth: int) -> set[str]:
    """Return the base columns behind output ``name`` of a derived table or CTE (a SELECT, or a
    UNION / INTERSECT / EXCEPT: the same position in every branch, named by the first)."""
    query = source.expression
    if isinstance(query, exp.SetOperation):
        if index is None:
            first: exp.Expr = query
            while isinstance(first, (exp.SetOperation, exp.Subquery)):
                first = first.this
            names = [p.alias_or_name.lower() for p in first.expressions] if isinstance(first, exp.Select) else []
            index = names.index(name) if name in names else None
        out: set[str] = set()
        for branch in source.set_operation_scopes:
            out |= _from_query(branch, name, index, context, depth + 1)
        return out
    if not isinstance(query, exp.Select):
        return set()
    out = set()
    for position, projection in enumerate(query.expressions):
        if isinstance(projection, exp.Star):
            out |= _resolve(source, exp.column(name), context, depth + 1)
        elif (projection.alias_or_name.lower() == name) if index is None else position == index:
            for col in projection.find_all(exp.Column):
                out |= _resolve(source, col, context, depth + 1)
    return out


def _argument_rank(column: exp.Column, call: exp.Expr, rules: FunctionRules) -> int:
    """Return the transform rank of ``column``'s value as the call receives it (functions on the way)."""
    rank = IDENTITY
    node = column.parent
    while node is not None and node is not call:
        if isinstance(node, exp.Func):
            rank = along(rules.transform_of(node) if not isinstance(node, exp.Anonymous)
                         else rules.by_name(str(node.this).upper(), aggregate=False), rank)
        node = node.parent
    return rank


def find_external_calls(text: str, functions: Collection[str], *, database: str | None, schema: str | None,
                        dialect: str = "snowflake",
                        transform_functions: TransformFunctions | None = None) -> dict[str, dict[str, int]]:
    """Return the column ids passed to each external function called in ``text``, with how.

    Args:
        functions: ids (``database.schema.name``, lower-case) of the external functions in
            force when the statement ran.
        transform_functions: masking, unmasking and counting functions
            (``compliance.*_functions``; default lists when None).

    Returns:
        function id -> {argument column id (base tables) -> transform rank (the most
        revealing over the calls)}; empty when the text does not parse or calls none of
        ``functions``.
    """
    rules = function_rules(transform_functions or TransformFunctions())
    import sqlglot

    try:
        statements = sqlglot.parse(text, read=dialect)
    except Exception:  # noqa: BLE001 - not parsed here: the lineage parse quarantines it
        return {}
    context = NameContext(database, schema, dialect)
    wanted = set(functions)
    found: dict[str, dict[str, int]] = {}
    for statement in statements:
        if statement is None:
            continue
        try:
            scopes = traverse_scope(statement)
        except Exception:  # noqa: BLE001 - a statement sqlglot cannot scope: no call found in it
            continue
        for scope in scopes:
            for call in scope.expression.find_all(exp.Anonymous):
                function = _function_id(call, context)
                if function not in wanted or _scope_of(call, scopes) is not scope:
                    continue
                columns = found.setdefault(function, {})
                for column in call.find_all(exp.Column):
                    rank = _argument_rank(column, call, rules)
                    for base in _resolve(scope, column, context):
                        columns[base] = max(rank, columns.get(base, rank))
    return found


def _scope_of(node: exp.Expr, scopes: list[Scope]) -> Scope | None:
    """Return the innermost scope whose expression contains ``node``."""
    parent = node.parent
    while parent is not None:
        for scope in scopes:
            if scope.expression is parent:
                return scope
        parent = parent.parent
    return None


def call_events(calls: dict[str, dict[str, int]], *, at: datetime, query_id: str,
                query_type: str) -> list[LineageEvent]:
    """Return one INSERT lineage event per called function: its argument columns flow into it
    (each column edge with the transform of :func:`find_external_calls`)."""
    events = []
    for function, columns in sorted(calls.items()):
        if not columns:
            continue
        target = destination_of(function)
        sources = tuple(sorted({DatasetRef(id=dataset_of(c), name=dataset_of(c)) for c in columns},
                               key=lambda r: r.id))
        lineage = tuple(ColumnLineage(source=c, target=f"{target.id}.{c.rsplit('.', 1)[-1]}",
                                      transform=TRANSFORMS[columns[c]] if 0 <= columns[c] < len(TRANSFORMS) else "identity")
                        for c in sorted(columns))
        events.append(LineageEvent(at=at, query_id=query_id, query_type=query_type, operation=Operation.INSERT,
                                   target=target, sources=sources, columns=lineage))
    return events
