"""Snowflake ``RESULT_SCAN``: a statement reading an earlier query's result set (review O2).

Pure: stdlib, sqlglot and :mod:`lineage_engine.model`. Snowflake "RESULT_SCAN"
(https://docs.snowflake.com/en/sql-reference/functions/result_scan) returns the result set of
a previous command as a table: ``RESULT_SCAN('<query id>')`` a query the user ran in the last 24
hours in any of their sessions, ``RESULT_SCAN(LAST_QUERY_ID())`` (also ``RESULT_SCAN()``,
``RESULT_SCAN(-1)``) the most recent query of the current session. Snowflake "LAST_QUERY_ID"
(https://docs.snowflake.com/en/sql-reference/functions/last_query_id): ``LAST_QUERY_ID(-k)`` is
the k-th most recent query of the session, ``LAST_QUERY_ID(k)`` (k > 0) the k-th since the
session started; every statement of the session counts, child statements included.

The extractor does not know the session, so it reads the function as a session-scoped temporary
dataset whose id names the reference (never a graph node, never a dataset id: it starts with
``#$result:``): ``#$result:last:k`` for the k-th most recent query, ``#$result:id:<query id>`` for
an explicit id. The crawl's session resolver (:mod:`.temp_tables`) maps it to the result it
remembered for that query, ``#$result:<query id>``, and collapses ``target <- result <- source``
as for any temporary table (column lineage composed, ``via``, roles, Time Travel points).

Not resolvable from the text, so quarantined as ``unsupported`` as before: ``LAST_QUERY_ID(k)``
with k > 0 (the crawl cannot know where a session started: its history may begin mid-session,
and a wrong pick could under-report), any other argument (``RESULT_SCAN($qid)``, an expression, a string not shaped as a query id:
a literal that may hold anything is never kept in an id),
and ``LAST_QUERY_ID`` in a statement after the first of its text (it may name a statement of that
text, which is not a row of the history). Outside Snowflake nothing is rewritten (quarantined).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import replace

from sqlglot import exp

from lineage_engine.model import ColumnLineage, ColumnRef, DatasetRef, StatementLineage, column_id

_QUERY_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
"""A Snowflake query id (``01b71944-0001-b181-0000-0129032279f6``)."""
PREFIX = "#$result:"
"""Prefix of every id this module and the resolver give a result set (``#``: temporary)."""
LAST = PREFIX + "last:"
BY_ID = PREFIX + "id:"
MESSAGE = ("reads RESULT_SCAN, the result of an earlier query: what it copies from that query's "
           "sources is not followed (lineage through it is missing)")
"""Reason of the ``unsupported`` problem of a read the crawl could not resolve."""
UNKNOWN_MESSAGE = ("reads RESULT_SCAN of an earlier query whose result the crawl does not know (not read by "
                   "this or an earlier crawl, not a SELECT, or too far back): what it copies is not followed "
                   "(lineage through it is missing)")
"""Reason of the quarantine entry of a resolvable read whose query the crawl has not remembered."""


NO_DATA_RESULTS = frozenset({"SHOW", "DESCRIBE", "DESCRIBE_QUERY", "EXPLAIN", "LIST_FILES", "GET_FILES", "PUT_FILES",
                             "REMOVE_FILES", "USE", "ALTER_SESSION", "SET", "UNSET", "BEGIN_TRANSACTION", "COMMIT",
                             "ROLLBACK", "GRANT", "REVOKE", "INSERT", "UPDATE", "DELETE", "MERGE", "MULTI_TABLE_INSERT",
                             "TRUNCATE_TABLE", "COPY", "UNLOAD", "RENAME_TABLE"})
"""QUERY_TYPEs whose result set holds no value read from a dataset: a status line, row counts, metadata."""
_NO_DATA_PREFIXES = ("CREATE", "ALTER", "DROP", "UNDROP")
UNKNOWN = "?"
"""Mark of a place (query id) whose result set may hold values the crawl does not know (a CALL, a query not read)."""


def may_return_data(query_type: str | None, status: str | None) -> bool:
    """Return True when a row of ``query_type`` and ``status`` may return values read from datasets.

    A failed statement has no result set; DDL and DML return a status line or counts, ``SHOW`` and
    ``DESCRIBE`` metadata (Snowflake "RESULT_SCAN" lists them as its usual inputs). A ``SELECT``, a
    ``CALL`` (a procedure's table) or an unknown type may return anything.
    """
    if (status or "SUCCESS").upper() != "SUCCESS":
        return False
    kind = (query_type or "").upper()
    return kind not in NO_DATA_RESULTS and not kind.startswith(_NO_DATA_PREFIXES)


def result_id(query_id: str) -> str:
    """Return the temporary-dataset id of ``query_id``'s remembered result set."""
    return PREFIX + query_id.strip().lower()


def is_result_read(dataset_id: str) -> bool:
    """Return True for the id of a RESULT_SCAN reference still to resolve (``#$result:last:k``, ``#$result:id:x``)."""
    return dataset_id.startswith(LAST) or dataset_id.startswith(BY_ID)


def results_as_reads(node: exp.Expr, *, first: bool = True) -> bool:
    """Rewrite, in place, each resolvable ``TABLE(RESULT_SCAN(...))`` into a read of its reference's dataset.

    ``first``: the statement is the first of its text. In a later one ``LAST_QUERY_ID`` may name
    an earlier statement of the same text, which the crawl does not remember as a row: it is
    left unresolved rather than bound to a row before the text (a wrong pick could under-report).

    The alias is kept. Returns True when a RESULT_SCAN stays that cannot be resolved (the
    caller reports it as ``unsupported``).
    """
    left = False
    for call in list(node.find_all(exp.Anonymous)):
        if call.name.upper() != "RESULT_SCAN":
            continue
        reference = _reference(call)
        if reference is not None and not first and reference.startswith(LAST):
            reference = None
        holder = call.parent if isinstance(call.parent, exp.TableFromRows) else None
        if reference is None or holder is None:
            left = True
            continue
        table = exp.Table(this=exp.Identifier(this=reference[1:], temporary=True))
        alias = holder.args.get("alias")
        if alias is not None:
            table.set("alias", alias.copy())
        holder.replace(table)
    return left


def _reference(call: exp.Anonymous) -> str | None:
    """Return ``#$result:last:k`` / ``#$result:id:<id>`` for the argument of ``RESULT_SCAN``, None when unknown."""
    args = call.expressions
    if not args:
        return LAST + "1"  # RESULT_SCAN(): RESULT_SCAN(-1)
    if len(args) != 1:
        return None
    arg = args[0]
    if isinstance(arg, exp.Literal) and arg.is_string:  # only a query id's shape: any other literal is never kept
        query_id = arg.this.strip().lower()
        return BY_ID + query_id if _QUERY_ID.fullmatch(query_id) else None
    if isinstance(arg, exp.Anonymous) and arg.name.upper() == "LAST_QUERY_ID":
        if not arg.expressions:
            return LAST + "1"
        if len(arg.expressions) != 1:
            return None
        arg = arg.expressions[0]
    back = _negative(arg)
    return LAST + str(back) if back is not None else None


def _negative(arg: exp.Expr) -> int | None:
    """Return k for the integer literal ``-k`` (k > 0), else None (positive and other values are not resolved)."""
    if isinstance(arg, exp.Neg) and isinstance(arg.this, exp.Literal) and not arg.this.is_string:
        try:
            value = int(arg.this.this)
        except ValueError:
            return None
        return value if value > 0 else None
    return None


def rebind(st: StatementLineage, bound: Mapping[str, tuple[str, ...]],
           columns_of: Callable[[str], Collection[str]]) -> StatementLineage:
    """Return ``st`` reading the remembered result sets its RESULT_SCAN references were bound to.

    Args:
        st: one statement of a row; its sources may hold references (:func:`is_result_read`).
        bound: reference id -> the ids of the results it may read (:func:`result_id`; several
            when the place is not exact: the union, an over-report), or none when the crawl does
            not know the result: the read and its column edges are left out (the caller
            quarantines the row, as before this rule).
        columns_of: result id -> its column names (``*``: made by an unexpanded ``SELECT *``).

    Returns:
        ``st`` itself when it reads no reference; else a copy whose sources and column edges
        name the results. A ``*`` read of a result whose columns are known stands for each of
        them (``out.* <- r.*`` becomes ``out.c <- r.c`` per column ``c``; ``out.x <- r.*``
        becomes ``out.x <- r.c`` for every ``c``: any of them).
    """
    if not any(s.id in bound for s in st.sources):
        return st
    sources: list[DatasetRef] = []
    for src in st.sources:
        if src.id not in bound:
            sources.append(src)
        else:
            sources.extend(DatasetRef(id=rid, name=rid, kind=src.kind) for rid in bound[src.id])
    edges: list[ColumnLineage] = []
    for edge in st.columns:
        source = ColumnRef.parse(edge.source)
        if source.dataset_id not in bound:
            edges.append(edge)
            continue
        target = ColumnRef.parse(edge.target)
        for rid in bound[source.dataset_id]:
            if not source.is_star:
                edges.append(replace(edge, source=column_id(rid, source.name)))
                continue
            for name in columns_of(rid) or ("*",):
                into = column_id(target.dataset_id, name) if target.is_star else edge.target
                edges.append(replace(edge, source=column_id(rid, name), target=into))
    return replace(st, sources=tuple(sources), columns=tuple(edges))
