"""Lineage of one parsed statement: operation, target, upstream datasets, flags.

:func:`statement_lineage` dispatches on the sqlglot node type. Statements that cannot
change lineage or dataset identity (SELECT, SHOW, DESCRIBE, transactions, grants, ALTER
... SET ...) give no :class:`StatementLineage`; ``USE`` changes the name context
for the statements after it. Rules kept in one place:

* A target the statement reads (an incremental model reading itself, ``INSERT OVERWRITE t
  ... FROM t``) is also one of its sources: the statement's new content derives from the
  old. An UPDATE lists its target as a source when its SET values read the target's own
  columns (``SET a = a + 1``, ``SET notes = email``: the value flows from old to new), not
  when it only filters on them; DELETE never does (the rows it removes are not a read).
* ``replaces`` is True for CREATE [OR REPLACE] (table, view, clone) unless ``IF NOT
  EXISTS`` (then nothing may have happened), and for INSERT OVERWRITE; never for Snowflake's
  ``CREATE OR ALTER TABLE|SCHEMA|DATABASE``, which keeps the object's data (a view's new
  definition still replaces the old one).
* CREATE OR REPLACE gives :attr:`Operation.REPLACE`, CREATE gives :attr:`Operation.CREATE`,
  also for a plain ``CREATE TABLE t (cols)`` with no upstreams (so the node exists).
* UPDATE always names its target (its column edges may lie inside it); DELETE gives
  lineage only when it reads another dataset (``USING`` / a subquery): ``DELETE FROM x
  WHERE ...`` changes no lineage.
* ``TRUNCATE TABLE x`` and ``DELETE FROM x`` with no WHERE empty the target: a
  :attr:`Operation.TRUNCATE` with no sources and ``replaces`` True, so the graph closes
  what ``x`` derived from (a truncate-and-reload keeps only the new load's upstreams).
* ``temporary``: TEMPORARY / TEMP / VOLATILE objects, or a name matching the temp patterns.
  TRANSIENT objects are persistent.
* In column mode each writing statement also gets its column edges (:mod:`.columns`).
* ``SELECT ... INTO t`` (PostgreSQL, T-SQL, Redshift; any dialect with ``queries``) is a
  CTAS of ``t``; with
  ``queries``, any other SELECT gives :attr:`Operation.QUERY` with its reads and no target
  (in column mode its output columns are the pseudo-dataset ``<select>``: ``<select>.c <-
  db.s.t.c``, what the query returned, for access history).

ALTER, DROP, USE and opaque commands are handled in :mod:`.ddl`.
"""

from __future__ import annotations

import dataclasses

import re
from functools import partial

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.tokens import TokenType

from lineage_engine.model import DatasetRef, Operation, StatementLineage, column_id, dataset_of
from lineage_engine.parsing import columns as col
from lineage_engine.parsing import ddl, variables
from lineage_engine.parsing.builder import StatementBuilder, StatementOutcome
from lineage_engine.parsing.merge_clauses import PlainClause
from lineage_engine.parsing.normalize import EXTERNAL, NameContext, location_ref, stage_ref
from lineage_engine.parsing.problems import name_problem

_TEMP_PROPERTIES = (exp.TemporaryProperty, exp.VolatileProperty)
_QUERIES = (exp.Select, exp.SetOperation, exp.Subquery)
# Dialects where ``SELECT ... INTO t`` creates a table (elsewhere, e.g. Snowflake Scripting,
# INTO names variables); with ``queries`` (batch extraction) it is read as a CTAS anywhere.
_SELECT_INTO_DIALECTS = frozenset({"tsql", "fabric", "postgres", "redshift", "materialize", "risingwave"})


def statement_lineage(
    node: exp.Expr,
    *,
    index: int,
    context: NameContext,
    temp_re: re.Pattern[str] | None,
    columns: col.ColumnOptions | None = None,
    queries: bool = False,
    merge_clauses: tuple[PlainClause, ...] | None = None,
) -> StatementOutcome:
    """Return the lineage of one parsed statement.

    Args:
        node: the statement's root node from sqlglot.
        index: 0-based position of the statement in the text.
        context: session defaults in effect for this statement.
        temp_re: compiled temporary-name patterns (see ``temp_names``).
        columns: column-level options; None for table level only.
        queries: also report a SELECT's reads, as :attr:`Operation.QUERY` with no target.
        merge_clauses: a MERGE's WHEN clauses read from tokens (column mode fast path,
            :mod:`.merge_clauses`) when ``node`` carries only a stub clause.

    Returns:
        A :class:`StatementOutcome`; never raises for unexpected node shapes (they give
        no lineage).
    """
    builder = StatementBuilder(index=index, context=context, temp_re=temp_re, columns=columns,
                               merge_clauses=merge_clauses, queries=queries)
    if isinstance(node, exp.Select) and node.expressions and ddl.partition_function(builder, node):
        return builder.outcome
    if isinstance(node, _QUERIES):
        first = node
        while isinstance(first, exp.SetOperation):
            first = first.this
        into = first.args.get("into") if isinstance(first, exp.Select) else None
        if isinstance(into, exp.Into) and isinstance(into.this, exp.Table) and isinstance(
                into.this.this, (exp.Placeholder, exp.Parameter)) and context.dialect == "snowflake":
            into = None  # Snowflake Scripting ``SELECT ... INTO :var``: a read into a variable, not a table
            first.set("into", None)
        if isinstance(into, exp.Into) and isinstance(into.this, exp.Table) and (
                queries or context.dialect in _SELECT_INTO_DIALECTS):  # SELECT ... INTO t: a CTAS
            target = builder.ref(into.this)
            builder.emit(Operation.CREATE, target, builder.upstreams(node, skip=[into]),
                         replaces=True, temporary=bool(into.args.get("temporary")),
                         columns=builder.column_outcome(col.create_columns, node, target))
            return builder.outcome
        if not queries:
            return builder.outcome
        refs = builder.upstreams(node)
        outcome = builder.column_outcome(col.unload_columns, node, col.SELECT_REF)
        if outcome is not None:
            builder.outcome.unresolved_columns += outcome.unresolved
        if refs or (outcome is not None and outcome.edges):
            builder.outcome.lineage.append(StatementLineage(Operation.QUERY, None, tuple(refs), index=index,
                                                            columns=outcome.edges if outcome is not None else ()))
        return builder.outcome
    handler = _HANDLERS.get(type(node))
    if handler is not None:
        handler(builder, node)
    return builder.outcome


def _create(b: StatementBuilder, node: exp.Create) -> None:
    kind = str(node.args.get("kind") or "").upper()
    # Snowflake CREATE OR ALTER (marked by the extractor; sqlglot reads it as OR REPLACE) alters an
    # existing object in place: its data stays, so a table or container is not replaced.
    or_alter = bool(node.meta.get("or_alter"))
    if kind in ("SCHEMA", "DATABASE"):
        if not or_alter:
            ddl.replace_container(b, node)  # CREATE OR REPLACE: the old contents are dropped
        return
    if kind not in ("TABLE", "VIEW"):
        return  # stages, functions, ...: no dataset lineage
    props = node.args.get("properties")
    prop_list = props.expressions if isinstance(props, exp.Properties) else []
    temporary = any(isinstance(p, _TEMP_PROPERTIES) for p in prop_list)
    external = any(isinstance(p, exp.ExternalProperty) for p in prop_list)
    target_kind = "view" if kind == "VIEW" else ("external" if external else "table")
    target = b.ref(node.this, kind=target_kind)
    replaces = not node.args.get("exists")
    replace = bool(node.args.get("replace"))
    if or_alter and kind == "TABLE":
        replaces = replace = False  # the table keeps its rows: an add (nothing closed), never a replace
    clone = node.args.get("clone")
    if isinstance(clone, exp.Clone):
        upstream = b.ref(clone.this, role="upstream")
        b.emit(Operation.CLONE, target, [upstream] if upstream else [], replaces=replaces, temporary=temporary,
               columns=b.column_outcome(col.clone_columns, upstream, target) if upstream else None)
    elif kind == "VIEW":
        b.emit(Operation.VIEW, target, b.upstreams(node.expression), replaces=replaces, temporary=temporary,
               columns=b.column_outcome(col.create_columns, node, target))
    else:
        upstreams = b.upstreams(node.expression)
        for prop in prop_list:
            if isinstance(prop, exp.LocationProperty):
                upstreams.extend(_location(b, prop.this))
        op = Operation.REPLACE if replace else Operation.CREATE
        columns = b.column_outcome(col.create_columns, node, target)
        if _returns_no_rows(node.expression):  # CREATE TABLE t AS SELECT * FROM s WHERE 1 = 0: a structure only
            upstreams = [u for u in upstreams if u.kind in ("stage", "external")]
            columns = dataclasses.replace(columns, edges=()) if columns is not None else None
        b.emit(op, target, upstreams, replaces=replaces, temporary=temporary, columns=columns)
        schema = node.this if isinstance(node.this, exp.Schema) else None
        virtual = col.virtual_column_defs(schema.expressions) if schema is not None else []
        if virtual:  # CREATE TABLE t (c type AS (expr)): c shows what expr reads (review s18)
            ddl.emit_virtual_columns(b, target, virtual, node, temporary=temporary)


def _returns_no_rows(query: exp.Expr | None) -> bool:
    """Say whether a CTAS query returns no row whatever its tables hold: ``LIMIT 0``, or a ``WHERE`` that
    is a constant false (``FALSE``, ``1 = 0``, ``'a' = 'b'``, ``1 <> 1``), in every branch of a set operation.

    ``CREATE TABLE t AS SELECT * FROM s WHERE 1 = 0`` (or ``LIMIT 0``) is the usual way to copy a
    table's structure: ``t`` holds no value of ``s``, and reporting its columns as copies of ``s``'s
    e-mails was a false positive. Anything not certainly constant keeps the lineage.
    """
    if isinstance(query, exp.Subquery):
        return _returns_no_rows(query.this)
    if isinstance(query, exp.SetOperation):
        return _returns_no_rows(query.this) and _returns_no_rows(query.expression)
    if not isinstance(query, exp.Select):
        return False
    limit = query.args.get("limit")
    count = limit.expression if isinstance(limit, exp.Limit) else None
    if isinstance(count, exp.Literal) and not count.is_string and count.this.strip() == "0":
        return True
    where = query.args.get("where")
    return isinstance(where, exp.Where) and _constant_false(where.this)


def _constant_false(node: exp.Expr | None) -> bool:
    while isinstance(node, exp.Paren):
        node = node.this
    if isinstance(node, exp.Boolean):
        return node.this is False
    if isinstance(node, (exp.EQ, exp.NEQ)):
        left, right = node.this, node.expression
        if not (isinstance(left, exp.Literal) and isinstance(right, exp.Literal) and left.is_string == right.is_string):
            return False
        same = (left.this == right.this) if left.is_string else _number(left.this) == _number(right.this)
        return (not same) if isinstance(node, exp.EQ) else same
    if isinstance(node, exp.And):
        return _constant_false(node.this) or _constant_false(node.expression)
    return False


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _get(b: StatementBuilder, node: exp.Command) -> None:
    """Snowflake ``GET @stage[/path] file://dir``: the stage's files are downloaded to a client, so the
    statement read the stage (every column: files are read by position), like ``SELECT $1 FROM @stage``."""
    rest = node.expression
    text = (rest.name if isinstance(rest, exp.Expr) else str(rest or "")).strip()
    location = text.split(None, 1)[0].strip("'") if text else ""
    if not location.startswith("@"):
        return
    ref, problem = stage_ref(location, b.context)
    if problem is not None:
        b.outcome.problems.append(name_problem(problem, statement_index=b.index, role="upstream"))
    if ref is not None:
        b.outcome.lineage.append(StatementLineage(Operation.QUERY, None, (ref,), index=b.index))


def _location(b: StatementBuilder, value: exp.Expr | None) -> list[DatasetRef]:
    text = value.name if isinstance(value, (exp.Var, exp.Identifier)) else ""
    if not text.startswith("@"):
        return []
    ref, problem = stage_ref(text, b.context)
    if problem is not None:
        b.outcome.problems.append(name_problem(problem, statement_index=b.index, role="upstream"))
    return [ref] if ref else []


def _insert(b: StatementBuilder, node: exp.Insert) -> None:
    target_node = node.this
    if isinstance(target_node, exp.Directory):  # Hive / Spark INSERT OVERWRITE [LOCAL] DIRECTORY 'path'
        _unload(b, node.expression, [target_node])
        return
    target = b.ref(target_node)
    upstreams = b.upstreams(node, skip=[target_node] if target_node is not None else [])
    b.emit(Operation.INSERT, target, upstreams, replaces=bool(node.args.get("overwrite")),
           columns=b.column_outcome(col.insert_columns, node, target))


def _multi_insert(b: StatementBuilder, node: exp.MultitableInserts) -> None:
    targets: list[exp.Expr] = []
    branches: list[tuple[DatasetRef, exp.Insert, exp.Expr | None]] = []
    for branch in node.expressions:
        insert = branch.this if isinstance(branch, exp.ConditionalInsert) else branch
        if isinstance(insert, exp.Insert) and insert.this is not None:
            targets.append(insert.this)
            ref = b.ref(insert.this)
            if ref is not None:
                condition = branch.args.get("expression") if isinstance(branch, exp.ConditionalInsert) else None
                branches.append((ref, insert, condition))
    upstreams = b.upstreams(node, skip=targets)
    overwrite = bool(node.args.get("overwrite"))
    per_target = col.multi_insert_columns(node, branches, b.context, b.columns) if b.columns is not None else {}
    seen: set[str] = set()
    for target, _, _ in branches:
        if target.id not in seen:
            seen.add(target.id)
            b.emit(Operation.INSERT, target, upstreams, replaces=overwrite, columns=per_target.get(target.id))


def _merge(b: StatementBuilder, node: exp.Merge) -> None:
    target = b.ref(node.this)
    compute = partial(col.merge_columns, plain=b.merge_clauses)
    b.emit(Operation.MERGE, target, b.upstreams(node, skip=[node.this]), columns=b.column_outcome(compute, node, target))


def _overwritten(node: exp.Update, target: DatasetRef, columns: col.ColumnOutcome | None) -> tuple[str, ...]:
    """Return the ids of the target's columns an UPDATE overwrites in every row: no WHERE, no LIMIT,
    no JOIN (which could leave rows out), an unquoted column set to a value that reads neither the
    column itself nor an unknown column (``<unresolved>``, ``*``). Their earlier lineage ends at the
    UPDATE (README, Lineage semantics); any doubt keeps it (a superset, never a lost path)."""
    if node.args.get("where") is not None or node.args.get("limit") is not None or node.args.get("joins") \
            or (isinstance(node.this, exp.Table) and node.this.args.get("joins")):
        return ()
    edges = columns.edges if columns is not None else ()
    out = []
    for assignment in node.expressions:
        column = assignment.this if isinstance(assignment, exp.EQ) else None
        if not isinstance(column, exp.Column) or column.table or not isinstance(column.this, exp.Identifier) \
                or column.this.quoted:
            continue
        cid = column_id(target.id, column.name.lower())
        into = [e.source for e in edges if e.target == cid]
        if any(s == cid or s.startswith("<") or s.endswith(".*") for s in into):
            continue  # the new value reads the old one, or a column not known
        out.append(cid)
    return tuple(sorted(set(out)))


def _update_or_delete(b: StatementBuilder, node: exp.Update | exp.Delete) -> None:
    # DELETE's ``tables`` are what it deletes from (MySQL ``DELETE t1 FROM t1 JOIN t2``), never
    # a read; sqlglot 30.22 also puts T-SQL's ``DELETE TOP (10) FROM t`` there as a table TOP.
    deleted = list(node.args.get("tables") or ()) if isinstance(node, exp.Delete) else []
    named = _deleted_tables(node, deleted) if isinstance(node, exp.Delete) else []
    if len(named) > 1:
        _multi_delete(b, node, named, deleted)
        return
    target = b.ref(named[0] if named else (_aliased_target(node) or node.this))
    if target is None:
        return
    found = b.upstreams(node, skip=[node.this, *deleted])
    for join in node.this.args.get("joins") or () if isinstance(node.this, exp.Table) else ():
        found.extend(b.upstreams(join))  # MySQL: UPDATE a JOIN b ON ... SET ...
    upstreams = list({u.id: u for u in found if u.id != target.id}.values())
    if isinstance(node, exp.Update):
        columns = b.column_outcome(col.update_columns, node, target)
        if _update_reads_target(node, target, columns):
            upstreams.append(target)  # the new value derives from the old (README, Lineage semantics)
        b.emit(Operation.UPDATE, target, upstreams, columns=columns, overwrites=_overwritten(node, target, columns))
    elif upstreams:
        b.emit(Operation.DELETE, target, upstreams)
    elif node.args.get("where") is None and not node.args.get("limit") and not deleted:  # every row gone
        b.emit(Operation.TRUNCATE, target, replaces=True)


def _update_reads_target(node: exp.Update, target: DatasetRef, columns: col.ColumnOutcome | None) -> bool:
    """Return True when an UPDATE's SET values read columns of its own target (``SET a = a + 1``).

    Column mode decides from the DIRECT column edges (a source column of the target); at
    table level a SET value's column counts when qualified by the target's name or alias,
    or unqualified while the target is the only relation (no FROM, no JOIN). Columns used
    only in WHERE choose rows and carry no value: they do not count.
    """
    if columns is not None:
        return any(e.kind == "DIRECT" and dataset_of(e.source) == target.id for e in columns.edges)
    this = node.this
    names = {this.name.lower(), this.alias.lower()} - {""} if isinstance(this, exp.Table) else set()
    alone = node.args.get("from_") is None and not node.args.get("joins") and not (
        isinstance(this, exp.Table) and this.args.get("joins"))
    for item in node.expressions:
        value = item.expression if isinstance(item, exp.EQ) else None
        for column in value.find_all(exp.Column) if value is not None else ():
            if column.find_ancestor(exp.Subquery, exp.Select) is not None:
                continue
            qualifier = column.table.lower()
            if qualifier in names or (not qualifier and alone):
                return True
    return False


def _multi_delete(b: StatementBuilder, node: exp.Delete, named: list[exp.Table], deleted: list[exp.Expr]) -> None:
    """MySQL ``DELETE t1, t2 FROM t1 JOIN t2 JOIN t3 ...``: one DELETE per table deleted from.

    Each names as sources the tables read that are not deleted from (the rows to delete
    are chosen by them; the co-deleted tables are targets of the same statement, not
    upstreams of one another).
    """
    targets = list({r.id: r for r in (b.ref(t) for t in named) if r is not None}.values())
    found = b.upstreams(node, skip=[node.this, *deleted])
    for join in node.this.args.get("joins") or () if isinstance(node.this, exp.Table) else ():
        found.extend(b.upstreams(join))
    written = {t.id for t in targets}
    upstreams = list({u.id: u for u in found if u.id not in written}.values())
    for target in targets:
        b.emit(Operation.DELETE, target, upstreams)


def _deleted_tables(node: exp.Delete, deleted: list[exp.Expr]) -> list[exp.Table]:
    """Return the tables a MySQL multi-table DELETE deletes from, as their FROM-clause nodes.

    ``DELETE a, b FROM t1 a JOIN t2 b ...``: the names are aliases or names of the joined
    tables; ``DELETE FROM t1, t2 USING t1 JOIN t2 ...``: the tables before USING. A single
    table, or a name not found among the joined tables, gives an empty list (the caller
    keeps its one-target reading).
    """
    this = node.this
    if not isinstance(this, exp.Table):
        return []
    joined = [this, *(j.this for j in this.args.get("joins") or () if isinstance(j.this, exp.Table))]
    if not deleted:
        return joined if node.args.get("using") and len(joined) > 1 else []
    found: list[exp.Table] = []
    for item in deleted:
        if not isinstance(item, exp.Table) or not isinstance(item.this, exp.Identifier):
            return []
        name = item.name.lower()
        match = next((t for t in joined if (t.alias or "").lower() == name), None) or next(
            (t for t in joined if not t.alias and t.name.lower() == name and item.args.get("db") is None), None)
        if match is None:
            return []
        found.append(match)
    return found if len(found) > 1 else []


def _truncate(b: StatementBuilder, node: exp.TruncateTable) -> None:
    if node.args.get("is_database") or node.args.get("partition"):
        return  # TRUNCATE DATABASE / one partition: not a whole dataset emptied
    for table in node.expressions:
        b.emit(Operation.TRUNCATE, b.ref(table), replaces=True)


def _aliased_target(node: exp.Update | exp.Delete) -> exp.Table | None:
    """Return the FROM table a T-SQL ``UPDATE alias ... FROM t AS alias`` writes, if so."""
    this = node.this
    if not isinstance(this, exp.Table) or this.args.get("db") is not None or this.alias:
        return None
    from_ = node.args.get("from_")
    if not isinstance(from_, exp.From):
        return None
    name = this.name.lower()
    candidates = [from_.this, *(j.this for j in from_.this.args.get("joins") or ()), *(j.this for j in node.args.get("joins") or ())]
    return next((t for t in candidates if isinstance(t, exp.Table) and t.alias.lower() == name), None)


def _copy(b: StatementBuilder, node: exp.Copy) -> None:
    this = node.this
    files = node.args.get("files") or []
    if node.args.get("kind") is False:  # PostgreSQL / Redshift ``COPY t|(query) TO 'location'``: an unload
        _unload(b, this, files)
        return
    target = b.ref(this, role="target")
    is_stage = target is not None and target.kind in ("stage", "external")  # an unload: into files
    upstreams: list[DatasetRef] = []
    for item in files:
        if isinstance(item, exp.Literal):  # PostgreSQL / Redshift / T-SQL ``COPY [INTO] t FROM 'location'``
            upstreams.extend(file_refs(b, [item], role="upstream"))
        else:
            upstreams.extend(b.upstreams(item))
    columns = None
    if is_stage and len(files) == 1 and isinstance(files[0], exp.Subquery):  # COPY INTO @s FROM (SELECT ...)
        columns = b.column_outcome(col.unload_columns, files[0].this, target)
    elif is_stage and len(upstreams) == 1 and isinstance(files[0], exp.Table):  # COPY INTO @s FROM t: every column
        columns = b.column_outcome(col.clone_columns, upstreams[0], target)
    b.emit(Operation.UNLOAD if is_stage else Operation.COPY, target, upstreams, columns=columns)


def _unload(b: StatementBuilder, source: exp.Expr | None, locations: list[exp.Expr]) -> None:
    """Emit an UNLOAD of a table or query (``source``) into the first literal location named.

    PostgreSQL / Redshift ``COPY t TO 's3://...'``, Hive / Spark ``INSERT OVERWRITE
    DIRECTORY 'hdfs://...' SELECT ...``, Redshift ``UNLOAD ('query') TO 's3://...'``. The
    location is named as any literal location (its bucket, :func:`.normalize.location_ref`);
    a local or relative path is an ``external_location`` problem and gives no lineage.
    """
    targets = file_refs(b, locations, role="target")
    if not targets:
        return
    target = targets[0]
    query = source.this if isinstance(source, exp.Subquery) else source
    upstreams = b.upstreams(query)
    if isinstance(query, exp.Table):
        columns = b.column_outcome(col.clone_columns, upstreams[0], target) if upstreams else None
    else:
        columns = b.column_outcome(col.unload_columns, query, target) if query is not None else None
    b.emit(Operation.UNLOAD, target, upstreams, columns=columns)


def file_refs(b: StatementBuilder, items: list[exp.Expr], *, role: str) -> list[DatasetRef]:
    """Return the datasets string literals name as locations (``@stage/path`` or a cloud URL).

    A literal that names neither (a local or relative path) is an ``external_location``
    problem on the statement.
    """
    refs: list[DatasetRef] = []
    for item in items:
        text = item.this if isinstance(item, exp.Literal) and item.is_string else None
        if isinstance(item, exp.Directory):
            text = item.this.this if isinstance(item.this, exp.Literal) else None
        if text is None:
            continue
        ref, problem = stage_ref(text, b.context) if text.startswith("@") else (location_ref(text), None)
        if ref is None and problem is None:
            problem = EXTERNAL
        if problem is not None:
            b.outcome.problems.append(name_problem(problem, statement_index=b.index, role=role))
        if ref is not None:
            refs.append(ref)
    return refs


def _cache(b: StatementBuilder, node: exp.Cache) -> None:
    """Spark ``CACHE [LAZY] TABLE c AS query``: a temporary view ``c`` of the query (session-scoped)."""
    query = node.args.get("expression")
    if query is None:
        return  # CACHE TABLE t: caches an existing table, no new dataset
    target = b.ref(node.this, kind="view")
    b.emit(Operation.VIEW, target, b.upstreams(query), replaces=True, temporary=True,
           columns=b.column_outcome(col.unload_columns, query, target))


def _command(b: StatementBuilder, node: exp.Command) -> None:
    """Redshift ``UNLOAD ('query') TO 's3://...' ...``: an unload of the quoted query; Snowflake ``GET @stage
    file://...`` (with ``queries``): a read of the stage; else :func:`.ddl.command`."""
    if str(node.this or "").upper() == "GET":
        if b.queries:
            _get(b, node)
        return
    if str(node.this or "").upper() == "UNLOAD" and isinstance(node.expression, exp.Literal):
        engine = Dialect.get_or_raise(b.context.dialect or "")
        engine.STRICT_JSON_PATH_SYNTAX = False  # as in extract_lineage: sqlglot logs nothing of the text
        try:
            tokens = engine.tokenize(node.expression.this)
            kinds = [t.token_type for t in tokens[:5]]  # ( 'query' ) TO 'location'
            if kinds != _UNLOAD_SHAPE or tokens[3].text.upper() != "TO":
                raise ValueError("not UNLOAD ('query') TO 'location'")
            inner = tokens[1].text
            query = engine.parser(error_message_context=0).parse(engine.tokenize(inner), inner)[0]
        except Exception:  # noqa: BLE001 - an odd UNLOAD is reported like any opaque command
            ddl.command(b, node)
            return
        if isinstance(query, _QUERIES):
            _unload(b, query, [exp.Literal.string(tokens[4].text)])
            return
    ddl.command(b, node)


_UNLOAD_SHAPE = [TokenType.L_PAREN, TokenType.STRING, TokenType.R_PAREN, TokenType.VAR, TokenType.STRING]
_HANDLERS = {
    exp.Create: _create,
    exp.Insert: _insert,
    exp.MultitableInserts: _multi_insert,
    exp.Merge: _merge,
    exp.Update: _update_or_delete,
    exp.Delete: _update_or_delete,
    exp.Copy: _copy,
    exp.TruncateTable: _truncate,
    exp.Alter: ddl.alter,
    exp.Drop: ddl.drop,
    exp.Undrop: ddl.undrop,
    exp.Use: ddl.use,
    exp.Command: _command,
    exp.Cache: _cache,
    exp.Set: variables.set_variables,
}
