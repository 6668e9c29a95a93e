"""Find the dataset references a statement reads, skipping CTEs, table functions and aliases.

One depth-first walk of the AST collects ``Table`` and ``CTE`` nodes together (no optimizer
``qualify``: it costs more than the whole parse). A ``Table`` node is a CTE reference when
it has no schema or database part and an enclosing ``WITH`` defines its name, so a CTE
shadows a real table only inside its own scope, recursive CTEs included. Table functions
(``TABLE(FLATTEN(...))``, ``LATERAL FLATTEN``) are not ``Table`` nodes in sqlglot, or have
a function as their name; :func:`lineage_engine.parsing.normalize.table_ref` drops them.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlglot import exp

from lineage_engine.model import DatasetRef
from lineage_engine.parsing.normalize import NameContext, table_ref

SYSTEM_SCHEMAS = frozenset({"information_schema"})
"""Schemas whose views describe metadata, not data; reads from them are not lineage."""


def read_tables(root: exp.Expr, *, skip: Iterable[exp.Expr] = ()) -> list[exp.Table]:
    """Return the ``Table`` nodes under ``root`` that name datasets read, in text order.

    Args:
        root: a statement or a part of one.
        skip: nodes to leave out with everything under them (the written target).

    Returns:
        Table nodes in text order (nodes without a position last); CTE references left out.
    """
    skipped = {id(node) for node in skip}
    tables: list[exp.Table] = []
    cte_names: set[str] = set()
    for node in root.find_all(exp.Table, exp.CTE, bfs=False):
        if isinstance(node, exp.CTE):
            cte_names.add(node.alias_or_name.lower())
        elif id(node) not in skipped:
            tables.append(node)
    if skipped:
        tables = [t for t in tables if not _under(t, skipped, root)]
    if cte_names:
        tables = [t for t in tables if not _is_cte_reference(t, cte_names)]
    tables.sort(key=_position)
    return tables


def resolve_tables(
    tables: Iterable[exp.Table], context: NameContext
) -> tuple[list[DatasetRef], list[str]]:
    """Resolve Table nodes to datasets, deduplicated by id in first-seen order.

    Args:
        tables: Table nodes from :func:`read_tables`.
        context: session defaults.

    Returns:
        ``(refs, problem_codes)``; reads from :data:`SYSTEM_SCHEMAS` are left out and
        problem codes are deduplicated.
    """
    refs: list[DatasetRef] = []
    seen: set[str] = set()
    problems: list[str] = []
    for table in tables:
        ref, problem = table_ref(table, context)
        if problem is not None and problem not in problems:
            problems.append(problem)
        if ref is None or ref.id in seen:
            continue
        parts = ref.parts
        if len(parts) >= 2 and parts[-2] in SYSTEM_SCHEMAS:
            continue
        seen.add(ref.id)
        refs.append(ref)
    return refs, problems


def _position(table: exp.Table) -> int:
    # The name's token position; CTE bodies come first in the text but last in the walk.
    start = table.this.meta.get("start") if table.this is not None else None
    return start if isinstance(start, int) else 1 << 62


def _under(node: exp.Expr, skipped: set[int], root: exp.Expr) -> bool:
    current: exp.Expr | None = node
    while current is not None and current is not root:
        if id(current) in skipped:
            return True
        current = current.parent
    return False


def _may_recurse(with_: exp.With, cte: exp.Expr) -> bool:
    # Snowflake makes RECURSIVE optional: a CTE whose body is a UNION (anchor UNION ALL
    # recursive part) may reference itself.
    return bool(with_.args.get("recursive")) or isinstance(cte.this, exp.SetOperation)


def _is_cte_reference(table: exp.Table, cte_names: set[str]) -> bool:
    """Return True when an enclosing WITH in scope defines the table's name.

    Inside the body of the k-th CTE of a WITH only CTEs 0..k-1 are in scope, plus the
    k-th itself when it may recurse; the query after the WITH sees all of them. So in
    ``WITH t AS (SELECT * FROM t) ...`` the inner ``t`` is the real table.
    """
    if table.args.get("db") is not None or not isinstance(table.this, exp.Identifier):
        return False
    name = table.name.lower()
    if name not in cte_names:
        return False
    child: exp.Expr = table
    node: exp.Expr | None = table.parent
    entered: exp.Expr | None = None  # the WITH whose CTE body we came out of
    while node is not None:
        if isinstance(node, exp.With):
            ctes = node.expressions
            k = next((i for i, cte in enumerate(ctes) if cte is child), len(ctes))
            limit = k + 1 if k < len(ctes) and _may_recurse(node, ctes[k]) else k
            if any(cte.alias_or_name.lower() == name for cte in ctes[:limit]):
                return True
            entered = node
        else:
            with_ = node.args.get("with_")
            if (
                isinstance(with_, exp.With)
                and with_ is not entered
                and any(cte.alias_or_name.lower() == name for cte in with_.expressions)
            ):
                return True
        child, node = node, node.parent
    return False
