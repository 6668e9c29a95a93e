"""Read a MERGE's WHEN clauses from tokens when they only copy columns (column mode).

dbt's incremental MERGE spends most of its tokens in two long column lists::

    when matched then update set "A" = DBT_INTERNAL_SOURCE."A", ...
    when not matched then insert ("A", ...) values ("A", ...)

Column lineage needs those clauses, so the table-level fast path (replace them by a stub,
see :func:`.chunks.trim_merge`) cannot be used as is, and parsing them (or building the
sqlglot nodes for them) costs more than all the rest of the statement's column work.
:func:`plain_merge_clauses` reads exactly this grammar and returns the column pairs::

    clause  := WHEN MATCHED THEN UPDATE SET name = name {, name = name}
             | WHEN NOT MATCHED THEN INSERT ( name {, name} ) VALUES ( name {, name} )
    name    := identifier [ . identifier ]

Anything else (a condition, a function, a literal, ``INSERT *``, a DELETE branch...)
returns None and the statement is parsed in full; :func:`.columns.merge_columns`
resolves the pairs exactly as it resolves the parsed clauses, so the result is the same.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlglot.tokens import Token, TokenType

_VAR, _IDENTIFIER = TokenType.VAR, TokenType.IDENTIFIER
_WHEN, _NOT, _THEN, _DOT, _EQ, _COMMA = (
    TokenType.WHEN, TokenType.NOT, TokenType.THEN, TokenType.DOT, TokenType.EQ, TokenType.COMMA
)
Name = tuple[str, str]
"""A column reference: (qualifier or ``""``, column), both lower case."""


@dataclass(frozen=True, slots=True)
class PlainClause:
    """One plain WHEN clause.

    Attributes:
        matched: True for ``WHEN MATCHED THEN UPDATE``, False for ``WHEN NOT MATCHED THEN
            INSERT``.
        pairs: ``(target column, source name)`` in clause order; target lower case.
    """

    matched: bool
    pairs: tuple[tuple[str, Name], ...]


def plain_merge_clauses(tail: Sequence[Token]) -> tuple[PlainClause, ...] | None:
    """Return the WHEN clauses of ``tail`` as column pairs, or None when not plain copies.

    Args:
        tail: a MERGE's tokens from its first top-level WHEN to the end.

    Returns:
        The clauses in order, or None (the statement must be parsed in full).
    """
    clauses: list[PlainClause] = []
    i, n = 0, len(tail)
    while i < n:
        if tail[i].token_type != _WHEN:
            return None
        i += 1
        matched = tail[i].token_type != _NOT if i < n else True
        i += 0 if matched else 1
        if not (i + 1 < n and tail[i].token_type == _VAR and tail[i].text.upper() == "MATCHED"
                and tail[i + 1].token_type == _THEN):
            return None
        i += 2
        read = _update if matched else _insert
        found = read(tail, i)
        if found is None:
            return None
        pairs, i = found
        clauses.append(PlainClause(matched, pairs))
    return tuple(clauses) or None


def _update(tail: Sequence[Token], i: int) -> tuple[tuple[tuple[str, Name], ...], int] | None:
    n = len(tail)
    if not (i + 1 < n and tail[i].token_type == TokenType.UPDATE and tail[i + 1].token_type == TokenType.SET):
        return None
    i += 2
    pairs: list[tuple[str, Name]] = []
    while True:
        left = _name(tail, i)
        if left is None or left[1] >= n or tail[left[1]].token_type != _EQ:
            return None
        right = _name(tail, left[1] + 1)
        if right is None:
            return None
        pairs.append((left[0][1], right[0]))
        i = right[1]
        if i < n and tail[i].token_type == _COMMA:
            i += 1
            continue
        return (tuple(pairs), i) if i >= n or tail[i].token_type == _WHEN else None


def _insert(tail: Sequence[Token], i: int) -> tuple[tuple[tuple[str, Name], ...], int] | None:
    if not (i < len(tail) and tail[i].token_type == TokenType.INSERT):
        return None
    columns = _names(tail, i + 1)
    if columns is None or columns[1] >= len(tail) or tail[columns[1]].token_type != TokenType.VALUES:
        return None
    values = _names(tail, columns[1] + 1)
    if values is None or len(values[0]) != len(columns[0]):
        return None
    return tuple((column[1], value) for column, value in zip(columns[0], values[0])), values[1]


def _names(tail: Sequence[Token], i: int) -> tuple[list[Name], int] | None:
    n = len(tail)
    if not (i < n and tail[i].token_type == TokenType.L_PAREN):
        return None
    i += 1
    found: list[Name] = []
    while True:
        name = _name(tail, i)
        if name is None or name[1] >= n:
            return None
        found.append(name[0])
        i = name[1]
        kind = tail[i].token_type
        if kind == TokenType.R_PAREN:
            return found, i + 1
        if kind != _COMMA:
            return None
        i += 1


def _name(tail: Sequence[Token], i: int) -> tuple[Name, int] | None:
    n = len(tail)
    if i >= n or tail[i].token_type not in (_VAR, _IDENTIFIER):
        return None
    first = tail[i].text.lower()
    if i + 2 < n and tail[i + 1].token_type == _DOT:
        second = tail[i + 2]
        if second.token_type not in (_VAR, _IDENTIFIER):
            return None
        return (first, second.text.lower()), i + 3
    return ("", first), i + 1
