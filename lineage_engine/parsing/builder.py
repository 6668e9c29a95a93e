"""Per-statement state shared by the statement handlers: names, upstreams, emitted lineage.

:class:`StatementBuilder` resolves ``Table`` nodes to datasets (recording name problems),
collects upstream datasets, runs column extraction in column mode, and appends
:class:`~lineage_engine.model.StatementLineage` values to its :class:`StatementOutcome`.
Handlers live in :mod:`.statements` (data movement) and :mod:`.ddl` (identity, session).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlglot import exp

from lineage_engine.model import ColumnLineage, DatasetRef, Operation, Problem, StatementLineage
from lineage_engine.parsing import columns as col
from lineage_engine.parsing.merge_clauses import PlainClause
from lineage_engine.parsing.normalize import NameContext, table_ref
from lineage_engine.parsing.problems import column_error_problem, name_problem
from lineage_engine.parsing.references import read_tables, resolve_tables
from lineage_engine.parsing.temp_names import is_temp_name


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


@dataclass(slots=True)
class StatementBuilder:
    """Build the lineage of one statement; see the module docstring.

    Attributes:
        index: 0-based position of the statement in the text.
        context: session defaults for names.
        temp_re: compiled temporary-name patterns.
        columns: column-mode options; None at table level.
        merge_clauses: a MERGE's plain WHEN clauses read from tokens (column mode).
        queries: also report statements that move no data (SELECT, ALTER) as operations.
        outcome: what the statement contributed so far.
    """

    index: int
    context: NameContext
    temp_re: re.Pattern[str] | None
    columns: col.ColumnOptions | None = None
    merge_clauses: tuple[PlainClause, ...] | None = None
    queries: bool = False
    outcome: StatementOutcome = field(init=False)

    def __post_init__(self) -> None:
        self.outcome = StatementOutcome(context=self.context)

    def ref(self, table: exp.Expr | None, *, kind: str = "table", role: str = "target") -> DatasetRef | None:
        """Return the dataset a ``Table`` (or ``Schema``) node names; record a name problem."""
        while isinstance(table, exp.Schema):
            table = table.this
        if not isinstance(table, exp.Table):
            return None
        ref, problem = table_ref(table, self.context, kind=kind)
        if problem is not None:
            self.outcome.problems.append(name_problem(problem, statement_index=self.index, role=role))
        return ref

    def upstreams(self, root: exp.Expr | None, *, skip: Sequence[exp.Expr] = ()) -> list[DatasetRef]:
        """Return the datasets read under ``root`` (minus ``skip``), first-seen order, deduplicated."""
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
        overwrites: tuple[str, ...] = (),
        column_moves: tuple[tuple[str, str], ...] = (),
    ) -> None:
        """Append a StatementLineage for ``target`` (nothing when None).

        A target the statement also reads stays among its sources (``INSERT OVERWRITE t
        SELECT ... FROM t``): the extraction reports what the statement did; the graph
        stores no self-loop and keeps the target's earlier upstreams (:mod:`lineage_engine.graph.intervals`).
        """
        if target is None:
            return
        edges: tuple[ColumnLineage, ...] = ()
        defined: tuple[str, ...] = ()
        if columns is not None:
            edges = columns.edges
            self.outcome.unresolved_columns += columns.unresolved
            if columns.columns:
                self.outcome.defined_columns[target.id] = columns.columns
                defined = tuple(columns.columns)
        sources = tuple({u.id: u for u in upstreams}.values())
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
                defined_columns=defined,
                overwrites=overwrites,
                column_moves=column_moves,
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
