"""Turn resolved target columns into :class:`~lineage_engine.model.ColumnLineage` edges.

Edge rules, kept in one place:

* a source column of the target itself is kept (``UPDATE t SET notes = email`` gives
  ``t.notes <- t.email``; ``INSERT OVERWRITE t SELECT ... FROM t`` gives ``t.a <- t.a``); the
  graph stores edges between two columns of one dataset, never a column to itself;
* one DIRECT edge per (target column, source column), with the most revealing transform
  when several paths lead there;
* an INDIRECT edge from every row-choosing column of the statement to every target
  column, unless the same pair already has a DIRECT edge (transform ``expression``);
* confidence: 0.5 for an ``<unresolved>.col`` source or an unexpanded ``table.*`` passed
  as is; else the statement's (0.8 when target column names were guessed, else 1.0);
* edges sorted by (target, source): the order is part of the result, not an accident.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lineage_engine.model import ColumnLineage, DatasetRef, column_id
from lineage_engine.parsing.column_sources import UNRESOLVED, Output
from lineage_engine.parsing.expression_columns import ExpressionColumns
from lineage_engine.parsing.transforms import CONDITION, EXPRESSION, IDENTITY, TRANSFORM_NAMES

_RANKS = {name: rank for rank, name in enumerate(TRANSFORM_NAMES)}
_INDIRECT = TRANSFORM_NAMES[EXPRESSION]
_UNCERTAIN_SOURCE = 0.5


@dataclass(slots=True)
class ColumnOutcome:
    """Column lineage of one statement target.

    Attributes:
        edges: the target's column edges, sorted.
        unresolved: column references that could not be tied to one dataset.
        columns: the target's column names as the statement defines them (CTAS, views,
            ``CREATE TABLE (cols)``), for later statements of the same text; else empty.
    """

    edges: tuple[ColumnLineage, ...] = ()
    unresolved: int = 0
    columns: list[str] = field(default_factory=list)


def column_edges(
    resolver: ExpressionColumns, target: DatasetRef, outputs: list[Output], confidence: float, *, learn: bool = False
) -> ColumnOutcome:
    """Turn a statement's target outputs into its column edges.

    Args:
        resolver: the statement's resolver (its INDIRECT set and unresolved count).
        target: the written dataset.
        outputs: target column name -> upstream deps, in target column order.
        confidence: of edges whose target column names were read or guessed.
        learn: report the target's column names (CTAS, views) for later statements.

    Returns:
        A :class:`ColumnOutcome`; edges sorted by (target, source).
    """
    direct: dict[str, dict[str, ColumnLineage]] = {}  # target column name -> source -> edge
    chooses: dict[str, set[str]] = {}  # target column name -> sources only in constant-result conditions
    for output in outputs:
        name = output.name
        if not name:
            continue
        by_source = direct.setdefault(name, {})
        column = column_id(target.id, name)
        for source, rank in output.deps.items():
            if rank <= CONDITION:  # CASE WHEN ssn IS NULL THEN 'n' ELSE 'y' END: INDIRECT (issue 10)
                chooses.setdefault(name, set()).add(source)
                continue
            old = by_source.get(source)
            if old is not None and _RANKS[old.transform] >= rank:
                continue
            # An unexpanded SELECT * passes ``table.*`` as identity; COUNT(*) aggregates it.
            uncertain = source.startswith(UNRESOLVED) or (rank == IDENTITY and source.endswith(".*"))
            by_source[source] = ColumnLineage(
                source, column, TRANSFORM_NAMES[rank], "DIRECT", _UNCERTAIN_SOURCE if uncertain else confidence
            )
    indirect = set(resolver.indirect)
    edges: list[ColumnLineage] = []
    for name in sorted(direct):
        by_source = direct[name]
        column = column_id(target.id, name)
        for source in sorted(by_source.keys() | indirect | chooses.get(name, set())):
            edge = by_source.get(source)
            edges.append(edge if edge is not None else ColumnLineage(source, column, _INDIRECT, "INDIRECT", confidence))
    return ColumnOutcome(edges=tuple(edges), unresolved=resolver.unresolved, columns=list(direct) if learn else [])
