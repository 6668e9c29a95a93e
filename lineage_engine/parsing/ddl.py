"""Statements that move dataset identity or change the session: ALTER, DROP, USE, commands.

* ``ALTER TABLE|VIEW a RENAME TO b`` -> :attr:`Operation.RENAME`; ``SWAP WITH`` -> SWAP.
* ``DROP TABLE|VIEW`` -> :attr:`Operation.DROP`, one per table.
* ``USE [DATABASE|SCHEMA] x`` changes the name context of the statements after it.
* ``ALTER TABLE a EXCHANGE PARTITION (...) WITH TABLE b`` (Hive) -> an INSERT into ``a``
  from ``b`` (sqlglot keeps it an opaque command; the names are read from its text).
* An opaque sqlglot ``Command`` that looks materializing is reported ``unsupported``;
  ``EXECUTE IMMEDIATE`` is reported ``dynamic_sql``.
"""

from __future__ import annotations

import re

from sqlglot import exp

from lineage_engine.model import DatasetRef, Operation, Problem
from lineage_engine.parsing.builder import StatementBuilder as _Builder
from lineage_engine.parsing.normalize import NameContext, qualified_ref, split_dotted_name
from lineage_engine.parsing.problems import name_problem, unsupported_problem

_RENAME_OR_SWAP = re.compile(r"\b(rename\s+to|swap\s+with)\b", re.IGNORECASE)
_DML_COMMANDS = frozenset({"INSERT", "MERGE", "UPDATE", "DELETE", "COPY"})
_DDL_COMMANDS = frozenset({"CREATE", "DROP", "ALTER"})
_EXCHANGE = re.compile(
    r"\s*TABLE\s+([\w$.`\"]+)\s+EXCHANGE\s+PARTITION\s*\(.*\)\s*WITH\s+TABLE\s+([\w$.`\"]+)\s*$",
    re.IGNORECASE | re.DOTALL,
)
# CREATE/DROP/ALTER of a table or view: up to four words (OR REPLACE, flavours) before it.
_TABLE_OR_VIEW = re.compile(r"\s*(?:[a-z_]+\s+){0,4}?(?:table|view)\b", re.IGNORECASE)


def alter(b: _Builder, node: exp.Alter) -> None:
    """ALTER TABLE|VIEW ... RENAME TO / SWAP WITH (one action); other ALTERs give nothing."""
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


def drop(b: _Builder, node: exp.Drop) -> None:
    """DROP TABLE|VIEW: one DROP per table."""
    kind = str(node.args.get("kind") or "").upper()
    if kind not in ("TABLE", "VIEW"):
        return
    for table in node.args.get("tables") or []:
        b.emit(Operation.DROP, b.ref(table, kind="view" if kind == "VIEW" else "table"))


def use(b: _Builder, node: exp.Use) -> None:
    """USE [DATABASE|SCHEMA]: change the name context of the statements after it."""
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


def command(b: _Builder, node: exp.Command) -> None:
    """An opaque command: Hive partition exchange, or a problem when it looks materializing."""
    keyword = str(node.this or "").upper()
    rest = node.expression
    text = rest.name if isinstance(rest, exp.Expr) else str(rest or "")
    exchange = _EXCHANGE.match(text) if keyword == "ALTER" else None
    if exchange is not None:  # Hive: the partition's rows move from the second table into the first
        target, source = (_named(b, exchange.group(i)) for i in (1, 2))
        if target is not None and source is not None:
            b.emit(Operation.INSERT, target, [source])
        return
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


def _named(b: _Builder, text: str) -> DatasetRef | None:
    parts = split_dotted_name(text.replace("`", '"'))
    if parts is None:
        return None
    ref, problem = qualified_ref(parts, b.context, "table")
    if problem is not None:
        b.outcome.problems.append(name_problem(problem, statement_index=b.index, role="target"))
    return ref
