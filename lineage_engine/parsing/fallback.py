"""Recover table-level lineage from the tokens of a statement sqlglot could not parse.

Used only after a parse error, so a gap in sqlglot's Snowflake grammar (e.g. the
``col :path :key`` JSON path with spaces) does not silently cut a lineage path. The scan
is deliberately narrow:

* target: the head ``CREATE [OR REPLACE] [modifiers] TABLE|VIEW [IF NOT EXISTS] name``,
  ``INSERT [OVERWRITE] INTO name`` or ``MERGE INTO name``; anything else recovers nothing;
* upstreams: plain dotted names right after ``FROM`` / ``JOIN`` / ``USING`` (and the
  comma-separated items of a ``FROM`` list), outside parentheses that do not start a
  subquery (so ``EXTRACT(year FROM ts)`` is ignored), not followed by ``(`` (a table
  function), and not a CTE name defined by ``WITH name AS (`` / ``, name AS (``.

Recovered statements never set ``replaces``: their upstreams may be incomplete, and
closing the target's other edges on partial evidence could hide a real path.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlglot.tokens import Token, TokenType

from lineage_engine.model import DatasetRef, Operation, StatementLineage
from lineage_engine.parsing.normalize import NameContext, qualified_ref
from lineage_engine.parsing.references import SYSTEM_SCHEMAS
from lineage_engine.parsing.temp_names import is_temp_name

_NAME_START = frozenset({TokenType.VAR, TokenType.IDENTIFIER})
_READ_KEYWORDS = frozenset({TokenType.FROM, TokenType.JOIN, TokenType.USING})
_QUERY_STARTS = frozenset({TokenType.SELECT, TokenType.WITH, TokenType.L_PAREN})
_CREATE_MODIFIERS = frozenset(
    {"OR", "REPLACE", "SCOPED", "TEMPORARY", "TEMP", "VOLATILE", "TRANSIENT", "SECURE", "RECURSIVE", "MATERIALIZED",
     "LOCAL", "GLOBAL", "DYNAMIC", "ICEBERG", "HYBRID", "EXTERNAL"}
)
_TEMP_WORDS = frozenset({"TEMPORARY", "TEMP", "VOLATILE"})
_WORD = re.compile(r"[A-Za-z_$][\w$]*")


def recover_lineage(
    chunk: Sequence[Token], *, index: int, context: NameContext, temp_re: re.Pattern[str] | None
) -> list[StatementLineage]:
    """Return the lineage the tokens of an unparsable statement show, possibly partial.

    Args:
        chunk: the statement's tokens.
        index: 0-based position of the statement in the text.
        context: session defaults.
        temp_re: compiled temporary-name patterns.

    Returns:
        Zero or one StatementLineage, with ``replaces`` False.
    """
    head = _head(chunk)
    if head is None:
        return []
    operation, target_at, temporary = head
    target_parts, after_target = _read_name(chunk, target_at)
    if target_parts is None:
        return []
    target = _ref(target_parts, context, "view" if operation is Operation.VIEW else "table")
    if target is None:
        return []
    upstreams: dict[str, DatasetRef] = {}
    ctes = _cte_names(chunk)
    for parts in _read_names(chunk, after_target):
        if len(parts) == 1 and parts[0][0].lower() in ctes:
            continue
        ref = _ref(parts, context, "table")
        if ref is None:
            continue
        if len(ref.parts) >= 2 and ref.parts[-2] in SYSTEM_SCHEMAS:
            continue
        upstreams.setdefault(ref.id, ref)
    return [
        StatementLineage(
            operation=operation,
            target=target,
            sources=tuple(upstreams.values()),
            replaces=False,
            temporary=temporary or is_temp_name(target.id, temp_re),
            index=index,
        )
    ]


def recover_reads(
    chunk: Sequence[Token], *, index: int, context: NameContext, temp_re: re.Pattern[str] | None
) -> list[StatementLineage]:
    """Return the datasets an unparsable query (``SELECT`` / ``WITH``) names after FROM / JOIN / USING.

    Access history only (``queries``): a SELECT sqlglot cannot parse still read those tables.
    Without them its reader was missing from ``lineage-engine access`` without a word; with
    them the read counts for every column of each (``D.*``: the parse failed, columns unknown).

    Returns:
        Zero or one :attr:`Operation.QUERY` StatementLineage (no target).
    """
    if not chunk or chunk[0].token_type not in (TokenType.SELECT, TokenType.WITH):
        return []
    sources: dict[str, DatasetRef] = {}
    ctes = _cte_names(chunk)
    for parts in _read_names(chunk, 1):
        if len(parts) == 1 and parts[0][0].lower() in ctes:
            continue
        ref = _ref(parts, context, "table")
        if ref is None or (len(ref.parts) >= 2 and ref.parts[-2] in SYSTEM_SCHEMAS) or is_temp_name(ref.id, temp_re):
            continue
        sources.setdefault(ref.id, ref)
    if not sources:
        return []
    return [StatementLineage(operation=Operation.QUERY, target=None, sources=tuple(sources.values()), index=index)]


def _head(chunk: Sequence[Token]) -> tuple[Operation, int, bool] | None:
    first = chunk[0].token_type
    words = [t.text.upper() for t in chunk[:12]]
    if first == TokenType.CREATE:
        i = 1
        while i < len(words) and words[i] in _CREATE_MODIFIERS:
            i += 1
        if i >= len(words) or words[i] not in ("TABLE", "VIEW"):
            return None
        temporary = any(w in _TEMP_WORDS for w in words[1:i])
        replace = "REPLACE" in words[1:i]
        op = Operation.VIEW if words[i] == "VIEW" else (Operation.REPLACE if replace else Operation.CREATE)
        i += 1
        if words[i : i + 3] == ["IF", "NOT", "EXISTS"]:
            i += 3
        return op, i, temporary
    if first == TokenType.INSERT:
        i = 2 if len(words) > 1 and words[1] == "OVERWRITE" else 1
        return (Operation.INSERT, i + 1, False) if i < len(words) and words[i] == "INTO" else None
    if first == TokenType.MERGE and len(words) > 1 and words[1] == "INTO":
        return Operation.MERGE, 2, False
    return None


def _read_name(chunk: Sequence[Token], i: int) -> tuple[list[tuple[str, bool]] | None, int]:
    """Read ``a.b.c`` at ``i``; return its parts and the index after it."""
    if i >= len(chunk) or chunk[i].token_type not in _NAME_START:
        return None, i
    parts = [(chunk[i].text, chunk[i].token_type == TokenType.IDENTIFIER)]
    i += 1
    while i + 1 < len(chunk) and chunk[i].token_type == TokenType.DOT and _is_word(chunk[i + 1]):
        parts.append((chunk[i + 1].text, chunk[i + 1].token_type == TokenType.IDENTIFIER))
        i += 2
    if len(parts) > 3 or (i < len(chunk) and chunk[i].token_type == TokenType.L_PAREN):
        return None, i  # 4-part name or a function call
    return parts, i


def _is_word(tok: Token) -> bool:
    return tok.token_type == TokenType.IDENTIFIER or _WORD.fullmatch(tok.text) is not None


def _read_names(chunk: Sequence[Token], start: int) -> list[list[tuple[str, bool]]]:
    names: list[list[tuple[str, bool]]] = []
    stack: list[bool] = []  # True: the parenthesis opens a subquery
    n = len(chunk)
    i = start
    while i < n:
        kind = chunk[i].token_type
        if kind == TokenType.L_PAREN:
            stack.append(i + 1 < n and chunk[i + 1].token_type in _QUERY_STARTS)
        elif kind == TokenType.R_PAREN:
            if stack:
                stack.pop()
        elif kind in _READ_KEYWORDS and (not stack or stack[-1]):
            j = i + 1
            while True:
                parts, j = _read_name(chunk, j)
                if parts is None:
                    break
                names.append(parts)
                if j < n and chunk[j].token_type == TokenType.ALIAS:
                    j += 1
                if j < n and chunk[j].token_type in _NAME_START:
                    j += 1
                if kind != TokenType.FROM or j >= n or chunk[j].token_type != TokenType.COMMA:
                    break
                j += 1
            i = max(i + 1, j) - 1
        i += 1
    return names


def _cte_names(chunk: Sequence[Token]) -> set[str]:
    """Names defined by ``WITH name [(cols)] AS (`` or ``, name [(cols)] AS (``."""
    names: set[str] = set()
    n = len(chunk)
    for i in range(1, n - 2):
        tok = chunk[i]
        if tok.token_type not in _NAME_START or chunk[i - 1].token_type not in (
            TokenType.WITH, TokenType.RECURSIVE, TokenType.COMMA
        ):
            continue
        j = i + 1
        if chunk[j].token_type == TokenType.L_PAREN:  # column list
            while j < n and chunk[j].token_type != TokenType.R_PAREN:
                j += 1
            j += 1
        if j + 1 < n and chunk[j].token_type == TokenType.ALIAS and chunk[j + 1].token_type == TokenType.L_PAREN:
            names.add(tok.text.lower())
    return names


def _ref(parts: list[tuple[str, bool]], context: NameContext, kind: str) -> DatasetRef | None:
    return qualified_ref(parts, context, kind)[0]
