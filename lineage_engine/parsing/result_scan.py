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

A star with modifiers over a result (review s15 Q6; Snowflake "SELECT", ``* EXCLUDE``, ``* RENAME``,
``* ILIKE``): the extractor does not know the result's columns, so it reads ``out.* <- r.*``; the
modifiers travel in the reference id (:class:`StarView`, names only, never a literal but an ``ILIKE``
pattern of name characters) and :func:`rebind` applies them to the remembered columns. What cannot
be applied faithfully is quarantined: ``* REPLACE`` (its expression's lineage is not carried), two
stars over one result of which one has modifiers, a non-literal or unusual ``ILIKE`` pattern, a
modified star over a subquery or CTE in a statement reading a result (its columns may be the result's,
unknown here), and a result whose columns the crawl does not know (an unexpanded ``SELECT *``).

Not resolvable from the text, so quarantined as ``unsupported`` as before: ``LAST_QUERY_ID(k)``
with k > 0 (the crawl cannot know where a session started: its history may begin mid-session,
and a wrong pick could under-report), any other argument (``RESULT_SCAN($qid)``, an expression, a string not shaped as a query id:
a literal that may hold anything is never kept in an id),
and ``LAST_QUERY_ID`` in a statement after the first of its text (it may name a statement of that
text, which is not a row of the history). Outside Snowflake nothing is rewritten (quarantined).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, replace

from sqlglot import exp

from lineage_engine.model import ColumnLineage, ColumnRef, DatasetRef, StatementLineage, column_id


_SAFE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~")


def quote(text: str, safe: str = "") -> str:
    """Percent-encode ``text`` (UTF-8) as RFC 3986 does, keeping only unreserved characters (pure, no I/O)."""
    return "".join(chr(b) if b in _SAFE else f"%{b:02X}" for b in text.encode("utf-8"))


def unquote(text: str) -> str:
    """Undo :func:`quote`."""
    return re.sub(rb"%([0-9A-F]{2})", lambda m: bytes([int(m.group(1), 16)]), text.encode("utf-8")).decode("utf-8")


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

    The alias is kept. A star with modifiers over the read (``* EXCLUDE (email)``) is carried in
    the reference id (:class:`StarView`). Returns True when a RESULT_SCAN stays that cannot be
    resolved, or whose star modifiers cannot be applied (the caller reports it as ``unsupported``).
    """
    calls = [call for call in node.find_all(exp.Anonymous) if call.name.upper() == "RESULT_SCAN"]
    blind = bool(calls) and _modified_over_derived(node)
    left = False
    for call in calls:
        reference = _reference(call)
        if reference is not None and not first and reference.startswith(LAST):
            reference = None
        holder = call.parent if isinstance(call.parent, exp.TableFromRows) else None
        view = _view_over(holder) if holder is not None else None
        if reference is None or holder is None or blind or view is _CANNOT:
            left = True
            continue
        if isinstance(view, StarView):
            reference += view.encoded()
        table = exp.Table(this=exp.Identifier(this=reference[1:], temporary=True))
        alias = holder.args.get("alias")
        if alias is not None:
            table.set("alias", alias.copy())
        holder.replace(table)
    return left


_MODIFIERS = ("except_", "except", "rename", "ilike", "replace")
"""Arguments of a sqlglot ``Star`` that change which columns it stands for, or their names or values."""
_NAME_PATTERN = re.compile(r"[a-z0-9_$%]*", re.IGNORECASE)
"""An ``ILIKE`` pattern carried in an id: name characters and ``%`` only (a literal that may hold
anything is never kept in an id)."""
_CANNOT = object()
"""Mark of a star over a result whose modifiers cannot be carried (the read is quarantined)."""


@dataclass(frozen=True, slots=True)
class StarView:
    """The modifiers of a ``*`` over a result: which remembered columns it copies, under which names.

    Snowflake "SELECT" (https://docs.snowflake.com/en/sql-reference/sql/select): ``* ILIKE 'p'``
    keeps the columns matching ``p`` (case-insensitive, ``%`` any characters, ``_`` one), then
    ``EXCLUDE (a, ...)`` drops columns and ``RENAME (a AS b, ...)`` renames them.

    Attributes:
        excluded: lower-case names left out.
        renamed: ``(name, new name)`` pairs, lower case.
        ilike: the ``ILIKE`` pattern, or None.
    """

    excluded: tuple[str, ...] = ()
    renamed: tuple[tuple[str, str], ...] = ()
    ilike: str | None = None

    def encoded(self) -> str:
        """Return the suffix carrying the view in a reference id: ``;x=a,b;r=a:c;l=p`` (names URL-quoted)."""
        parts = []
        if self.excluded:
            parts.append("x=" + ",".join(quote(n, safe="") for n in self.excluded))
        if self.renamed:
            parts.append("r=" + ",".join(f"{quote(a, safe='')}:{quote(b, safe='')}" for a, b in self.renamed))
        if self.ilike is not None:
            parts.append("l=" + quote(self.ilike, safe=""))
        return "".join(";" + part for part in parts)

    @classmethod
    def decoded(cls, suffix: str) -> StarView:
        """Return the view of an :meth:`encoded` suffix (the inverse; ids are lower case, as names are)."""
        fields = dict(part.split("=", 1) for part in suffix.split(";") if part)
        names = [unquote(n) for n in fields.get("x", "").split(",") if n]
        pairs = [tuple(unquote(x) for x in pair.split(":", 1)) for pair in fields.get("r", "").split(",") if pair]
        return cls(tuple(names), tuple((a, b) for a, b in pairs), unquote(fields["l"]) if "l" in fields else None)

    def outputs(self, names: Collection[str]) -> Iterator[tuple[str, str]]:
        """Yield ``(column, output name)`` of the columns ``names`` the star copies, in order."""
        matches = _ilike_test(self.ilike) if self.ilike is not None else None
        renamed = dict(self.renamed)
        for name in names:
            if (matches is None or matches(name)) and name not in self.excluded:
                yield name, renamed.get(name, name)


def _ilike_test(pattern: str) -> Callable[[str], object]:
    """Return the test of Snowflake's ``ILIKE`` ``pattern`` over a column name (``%`` any, ``_`` one character)."""
    regex = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern)
    return re.compile(regex, re.IGNORECASE | re.DOTALL).fullmatch


def split_reference(reference: str) -> tuple[str, StarView | None]:
    """Return ``(#$result:last:k or #$result:id:<id>, its star view or None)`` of a reference id."""
    base, _, suffix = reference.partition(";")
    return base, StarView.decoded(suffix) if suffix else None


def fits(reference: str, columns: Collection[str]) -> bool:
    """Return False when ``reference`` carries a star view that ``columns`` (a result's) cannot take
    faithfully: columns not known (none, or an unexpanded ``*``); the read is then quarantined."""
    return split_reference(reference)[1] is None or (bool(columns) and "*" not in columns)


def _stars(select: exp.Select) -> Iterator[tuple[str, exp.Star]]:
    """Yield ``(qualifier or "", star)`` of the select items ``*`` and ``q.*``."""
    for item in select.expressions:
        if isinstance(item, exp.Star):
            yield "", item
        elif isinstance(item, exp.Column) and isinstance(item.this, exp.Star):
            yield item.table.lower(), item.this


def _modified(star: exp.Star) -> bool:
    return any(star.args.get(key) for key in _MODIFIERS)


def _view_over(holder: exp.TableFromRows) -> StarView | object | None:
    """Return the :class:`StarView` of the modified star over ``holder`` (a RESULT_SCAN in a FROM or
    JOIN), None when no star over it has modifiers, :data:`_CANNOT` when they cannot be carried."""
    select = holder.parent.parent if isinstance(holder.parent, (exp.From, exp.Join)) else None
    if not isinstance(select, exp.Select):
        return None
    alias = holder.alias.lower()
    over = [star for qualifier, star in _stars(select) if not qualifier or qualifier == alias]
    modified = [star for star in over if _modified(star)]
    if not modified:
        return None
    star = modified[0]
    if len(over) > 1 or star.args.get("replace"):  # one id per read: a second star would take the view too
        return _CANNOT
    pattern = star.args.get("ilike")
    if pattern is not None and not (isinstance(pattern, exp.Literal) and pattern.is_string
                                    and _NAME_PATTERN.fullmatch(pattern.this)):
        return _CANNOT
    excluded = star.args.get("except_") or star.args.get("except") or ()
    return StarView(
        excluded=tuple(c.name.lower() for c in excluded),
        renamed=tuple((a.this.name.lower(), a.alias.lower()) for a in star.args.get("rename") or ()
                      if isinstance(a, exp.Alias)),
        ilike=pattern.this.lower() if pattern is not None else None,
    )


def _modified_over_derived(node: exp.Expr) -> bool:
    """Return True when a star with modifiers ranges over a subquery or a CTE: its columns may be a result's,
    not known when parsing, and the extractor keeps such a star whole (its modifiers would be lost)."""
    ctes = {cte.alias.lower() for cte in node.find_all(exp.CTE)}
    for select in node.find_all(exp.Select):
        if not any(_modified(star) for _, star in _stars(select)):
            continue
        relations = [select.args.get("from_") or select.args.get("from"), *(select.args.get("joins") or ())]
        for relation in relations:
            inner = relation.this if isinstance(relation, (exp.From, exp.Join)) else relation
            if isinstance(inner, exp.Table) and not (inner.args.get("db") is None and inner.name.lower() in ctes):
                continue
            if inner is None or isinstance(inner, exp.TableFromRows):
                continue
            return True
    return False


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
        becomes ``out.x <- r.c`` for every ``c``: any of them). A star view carried by the
        reference (:class:`StarView`) applies to ``out.* <- r.*``: ``out.d <- r.c`` for the
        columns ``c`` it copies, ``d`` their names after ``RENAME`` (the caller binds a viewed
        reference only to results whose columns are known, :func:`fits`).
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
        view = split_reference(source.dataset_id)[1] if target.is_star else None
        for rid in bound[source.dataset_id]:
            if not source.is_star:
                edges.append(replace(edge, source=column_id(rid, source.name)))
                continue
            names = columns_of(rid) or ("*",)
            for name, output in view.outputs(names) if view is not None else ((n, n) for n in names):
                into = column_id(target.dataset_id, output) if target.is_star else edge.target
                edges.append(replace(edge, source=column_id(rid, name), target=into))
    return replace(st, sources=tuple(sources), columns=tuple(edges))
