"""Lineage of one parsed statement: operation, target, upstream datasets, flags.

:func:`statement_lineage` dispatches on the sqlglot node type. Statements that cannot
change lineage or dataset identity (SELECT, SHOW, DESCRIBE, transactions, grants, ALTER
... SET, TRUNCATE ...) give no :class:`StatementLineage`; ``USE`` changes the name context
for the statements after it. Rules kept in one place:

* A target never appears among its own upstreams (an incremental model reads itself).
* ``replaces`` is True for CREATE [OR REPLACE] (table, view, clone) unless ``IF NOT
  EXISTS`` (then nothing may have happened), and for INSERT OVERWRITE.
* CREATE OR REPLACE gives :attr:`Operation.REPLACE`, CREATE gives :attr:`Operation.CREATE`,
  also for a plain ``CREATE TABLE t (cols)`` with no upstreams (so the node exists).
* UPDATE and DELETE give lineage only when they read another dataset (``FROM`` /
  ``USING`` / a subquery); a plain ``DELETE FROM x`` changes no lineage.
* ``temporary``: TEMPORARY / TEMP / VOLATILE objects, or a name matching the temp patterns.
  TRANSIENT objects are persistent.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlglot import exp

from lineage_engine.model import ColumnLineage, DatasetRef, Operation, Problem, StatementLineage
from lineage_engine.parsing import columns as col
from lineage_engine.parsing.normalize import NameContext, stage_ref, table_ref
from lineage_engine.parsing.problems import column_error_problem, name_problem, unsupported_problem
from lineage_engine.parsing.references import read_tables, resolve_tables
from lineage_engine.parsing.temp_names import is_temp_name

_TEMP_PROPERTIES = (exp.TemporaryProperty, exp.VolatileProperty)
_QUERIES = (exp.Select, exp.SetOperation, exp.Subquery)
_RENAME_OR_SWAP = re.compile(r"\b(rename\s+to|swap\s+with)\b", re.IGNORECASE)
_DML_COMMANDS = frozenset({"INSERT", "MERGE", "UPDATE", "DELETE", "COPY"})
_DDL_COMMANDS = frozenset({"CREATE", "DROP", "ALTER"})
# CREATE/DROP/ALTER of a table or view: up to four words (OR REPLACE, flavours) before it.
_TABLE_OR_VIEW = re.compile(r"\s*(?:[a-z_]+\s+){0,4}?(?:table|view)\b", re.IGNORECASE)


@dataclass(slots=True)
class StatementOutcome:
    """What one statement contributed.

    Attributes:
        lineage: zero or more StatementLineage (INSERT ALL gives one per target).
        problems: Problems found, without query text.
        context: the name context for the next statement (changed by USE).
        unresolved_columns: column references not tied to one dataset (column mode).
        defined_columns: dataset id -> the columns this statement gave it (CTAS, view,
            ``CREATE TABLE (cols)``), for the statements after it (column mode).
    """

    lineage: list[StatementLineage] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    context: NameContext = field(default_factory=NameContext)
    unresolved_columns: int = 0
    defined_columns: dict[str, list[str]] = field(default_factory=dict)


def statement_lineage(
    node: exp.Expr,
    *,
    index: int,
    context: NameContext,
    temp_re: re.Pattern[str] | None,
    columns: col.ColumnOptions | None = None,
    queries: bool = False,
) -> StatementOutcome:
    """Return the lineage of one parsed statement.

    Args:
        node: the statement's root node from sqlglot.
        index: 0-based position of the statement in the text.
        context: session defaults in effect for this statement.
        temp_re: compiled temporary-name patterns (see ``temp_names``).
        columns: column-level options; None for table level only.
        queries: also report a SELECT's reads, as :attr:`Operation.QUERY` with no target.

    Returns:
        A :class:`StatementOutcome`; never raises for unexpected node shapes (they give
        no lineage).
    """
    builder = _Builder(index=index, context=context, temp_re=temp_re, columns=columns)
    if queries and isinstance(node, _QUERIES):
        first = node
        while isinstance(first, exp.SetOperation):
            first = first.this
        into = first.args.get("into") if isinstance(first, exp.Select) else None
        if isinstance(into, exp.Into) and isinstance(into.this, exp.Table):  # SELECT ... INTO t: a CTAS
            target = builder.ref(into.this)
            builder.emit(Operation.CREATE, target, builder.upstreams(node, skip=[into]),
                         replaces=True, temporary=bool(into.args.get("temporary")),
                         columns=builder.column_outcome(col.create_columns, node, target))
            return builder.outcome
        refs = builder.upstreams(node)
        if refs:
            builder.outcome.lineage.append(StatementLineage(Operation.QUERY, None, tuple(refs), index=index))
        return builder.outcome
    handler = _HANDLERS.get(type(node))
    if handler is not None:
        handler(builder, node)
    return builder.outcome


@dataclass(slots=True)
class _Builder:
    index: int
    context: NameContext
    temp_re: re.Pattern[str] | None
    columns: col.ColumnOptions | None = None
    outcome: StatementOutcome = field(init=False)

    def __post_init__(self) -> None:
        self.outcome = StatementOutcome(context=self.context)

    def ref(self, table: exp.Expr | None, *, kind: str = "table", role: str = "target") -> DatasetRef | None:
        while isinstance(table, exp.Schema):
            table = table.this
        if not isinstance(table, exp.Table):
            return None
        ref, problem = table_ref(table, self.context, kind=kind)
        if problem is not None:
            self.outcome.problems.append(name_problem(problem, statement_index=self.index, role=role))
        return ref

    def upstreams(self, root: exp.Expr | None, *, skip: Sequence[exp.Expr] = ()) -> list[DatasetRef]:
        if root is None:
            return []
        refs, problems = resolve_tables(read_tables(root, skip=skip), self.context)
        for code in problems:
            self.outcome.problems.append(name_problem(code, statement_index=self.index, role="upstream"))
        return refs

    def emit(
        self,
        operation: Operation,
        target: DatasetRef | None,
        upstreams: Sequence[DatasetRef] = (),
        *,
        replaces: bool = False,
        temporary: bool = False,
        counterpart: DatasetRef | None = None,
        columns: col.ColumnOutcome | None = None,
    ) -> None:
        if target is None:
            return
        edges: tuple[ColumnLineage, ...] = ()
        if columns is not None:
            edges = columns.edges
            self.outcome.unresolved_columns += columns.unresolved
            if columns.columns:
                self.outcome.defined_columns[target.id] = columns.columns
        sources = tuple(u for u in upstreams if u.id != target.id)
        temporary = temporary or is_temp_name(target.id, self.temp_re)
        self.outcome.lineage.append(
            StatementLineage(
                operation=operation,
                target=target,
                sources=sources,
                replaces=replaces,
                temporary=temporary,
                counterpart=counterpart,
                columns=edges,
                index=self.index,
            )
        )

    def column_outcome(
        self, compute: Callable[..., col.ColumnOutcome], node: exp.Expr, target: DatasetRef | None
    ) -> col.ColumnOutcome | None:
        """Run a column function of :mod:`.columns` in column mode; None at table level.

        An unexpected AST shape must not cost the table-level lineage: any failure becomes
        a ``column_error`` Problem and the statement keeps no column edges.
        """
        if self.columns is None or target is None:
            return None
        try:
            return compute(node, target, self.context, self.columns)
        except Exception as error:  # noqa: BLE001 - never raise on odd SQL (design §5)
            self.outcome.problems.append(column_error_problem(statement_index=self.index, error=error))
            return None


def _create(b: _Builder, node: exp.Create) -> None:
    kind = str(node.args.get("kind") or "").upper()
    if kind not in ("TABLE", "VIEW"):
        return  # schemas, stages, functions, ...: no dataset lineage
    props = node.args.get("properties")
    prop_list = props.expressions if isinstance(props, exp.Properties) else []
    temporary = any(isinstance(p, _TEMP_PROPERTIES) for p in prop_list)
    external = any(isinstance(p, exp.ExternalProperty) for p in prop_list)
    target_kind = "view" if kind == "VIEW" else ("external" if external else "table")
    target = b.ref(node.this, kind=target_kind)
    replaces = not node.args.get("exists")
    replace = bool(node.args.get("replace"))
    clone = node.args.get("clone")
    if isinstance(clone, exp.Clone):
        upstream = b.ref(clone.this, role="upstream")
        b.emit(Operation.CLONE, target, [upstream] if upstream else [], replaces=replaces, temporary=temporary)
    elif kind == "VIEW":
        b.emit(Operation.VIEW, target, b.upstreams(node.expression), replaces=replaces, temporary=temporary,
               columns=b.column_outcome(col.create_columns, node, target))
    else:
        upstreams = b.upstreams(node.expression)
        for prop in prop_list:
            if isinstance(prop, exp.LocationProperty):
                upstreams.extend(_location(b, prop.this))
        op = Operation.REPLACE if replace else Operation.CREATE
        b.emit(op, target, upstreams, replaces=replaces, temporary=temporary,
               columns=b.column_outcome(col.create_columns, node, target))


def _location(b: _Builder, value: exp.Expr | None) -> list[DatasetRef]:
    text = value.name if isinstance(value, (exp.Var, exp.Identifier)) else ""
    if not text.startswith("@"):
        return []
    ref, problem = stage_ref(text, b.context)
    if problem is not None:
        b.outcome.problems.append(name_problem(problem, statement_index=b.index, role="upstream"))
    return [ref] if ref else []


def _insert(b: _Builder, node: exp.Insert) -> None:
    target_node = node.this
    target = b.ref(target_node)
    upstreams = b.upstreams(node, skip=[target_node] if target_node is not None else [])
    b.emit(Operation.INSERT, target, upstreams, replaces=bool(node.args.get("overwrite")),
           columns=b.column_outcome(col.insert_columns, node, target))


def _multi_insert(b: _Builder, node: exp.MultitableInserts) -> None:
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


def _merge(b: _Builder, node: exp.Merge) -> None:
    target = b.ref(node.this)
    b.emit(Operation.MERGE, target, b.upstreams(node, skip=[node.this]),
           columns=b.column_outcome(col.merge_columns, node, target))


def _update_or_delete(b: _Builder, node: exp.Update | exp.Delete) -> None:
    target = b.ref(_aliased_target(node) or node.this)
    if target is None:
        return
    found = b.upstreams(node, skip=[node.this])
    for join in node.this.args.get("joins") or () if isinstance(node.this, exp.Table) else ():
        found.extend(b.upstreams(join))  # MySQL: UPDATE a JOIN b ON ... SET ...
    upstreams = list({u.id: u for u in found if u.id != target.id}.values())
    if upstreams:
        if isinstance(node, exp.Update):
            b.emit(Operation.UPDATE, target, upstreams, columns=b.column_outcome(col.update_columns, node, target))
        else:
            b.emit(Operation.DELETE, target, upstreams)


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


def _copy(b: _Builder, node: exp.Copy) -> None:
    this = node.this
    files = node.args.get("files") or []
    is_stage = isinstance(this, exp.Table) and isinstance(this.this, exp.Var) and this.name.startswith("@")
    target = b.ref(this, role="target")
    upstreams: list[DatasetRef] = []
    for item in files:
        upstreams.extend(b.upstreams(item))
    b.emit(Operation.UNLOAD if is_stage else Operation.COPY, target, upstreams)


def _alter(b: _Builder, node: exp.Alter) -> None:
    kind = str(node.args.get("kind") or "").upper()
    actions = node.args.get("actions") or []
    if kind not in ("TABLE", "VIEW") or len(actions) != 1:
        return
    action = actions[0]
    ds_kind = "view" if kind == "VIEW" else "table"
    if isinstance(action, exp.AlterRename):
        target = b.ref(node.this, kind=ds_kind)
        new = b.ref(action.this, kind=ds_kind, role="target")
        if new is not None:
            b.emit(Operation.RENAME, target, counterpart=new)
    elif isinstance(action, exp.SwapTable):
        target = b.ref(node.this, kind=ds_kind)
        other = b.ref(action.this, kind=ds_kind, role="target")
        if other is not None:
            b.emit(Operation.SWAP, target, counterpart=other)


def _drop(b: _Builder, node: exp.Drop) -> None:
    kind = str(node.args.get("kind") or "").upper()
    if kind not in ("TABLE", "VIEW"):
        return
    for table in node.args.get("tables") or []:
        b.emit(Operation.DROP, b.ref(table, kind="view" if kind == "VIEW" else "table"))


def _use(b: _Builder, node: exp.Use) -> None:
    kind = str(node.args.get("kind") or "").upper()
    table = node.this
    if kind not in ("", "DATABASE", "SCHEMA") or not isinstance(table, exp.Table):
        return
    parts = [p for p in (table.args.get("catalog"), table.args.get("db"), table.this) if p is not None]
    names = [p.this if isinstance(p, exp.Identifier) and p.args.get("quoted") else p.name.upper() for p in parts]
    ctx = b.context
    if kind == "DATABASE" or (kind == "" and len(names) == 1):
        new = NameContext(database=names[-1], schema="PUBLIC")
    elif len(names) >= 2:
        new = NameContext(database=names[-2], schema=names[-1])
    else:
        new = NameContext(database=ctx.database, schema=names[-1])
    b.outcome.context = new


def _command(b: _Builder, node: exp.Command) -> None:
    keyword = str(node.this or "").upper()
    rest = node.expression
    text = rest.name if isinstance(rest, exp.Expr) else str(rest or "")
    if keyword in _DML_COMMANDS or (
        keyword in _DDL_COMMANDS and _TABLE_OR_VIEW.match(text) and (keyword != "ALTER" or _RENAME_OR_SWAP.search(text))
    ):
        b.outcome.problems.append(unsupported_problem(statement_index=b.index, keyword=keyword))
    elif keyword == "EXECUTE" and text.upper().startswith("IMMEDIATE"):
        b.outcome.problems.append(
            Problem(
                code="dynamic_sql",
                message=f"statement {b.index + 1}: EXECUTE IMMEDIATE runs SQL built at run time; its "
                "lineage appears only in the statements it runs",
                statement_index=b.index,
            )
        )


_HANDLERS = {
    exp.Create: _create,
    exp.Insert: _insert,
    exp.MultitableInserts: _multi_insert,
    exp.Merge: _merge,
    exp.Update: _update_or_delete,
    exp.Delete: _update_or_delete,
    exp.Copy: _copy,
    exp.Alter: _alter,
    exp.Drop: _drop,
    exp.Use: _use,
    exp.Command: _command,
}
