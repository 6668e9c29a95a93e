"""Build :class:`Problem` values from sqlglot errors without quoting any query text.

sqlglot's messages embed SQL snippets (``Error tokenizing 'jane@...'``), and its
descriptions sometimes name the offending token. A Problem message here is made only of
the error kind, a description taken from an allow-list of grammar-only phrases, and the
line/column, so it can be logged and stored (design §5: query text is sensitive).
"""

from __future__ import annotations

import re

from sqlglot.errors import ParseError

from lineage_engine.model import Problem

TRUNCATION_LENGTH = 100_000
"""Snowflake cuts ``QUERY_TEXT`` at 100,000 characters (reference §1)."""

# Descriptions that name only grammar, never input text.
_SAFE_DESCRIPTIONS = (
    re.compile(r"Expecting [()\[\]{},;]"),
    re.compile(r"Invalid expression / Unexpected token"),
    re.compile(r"Required keyword: '\w+' missing for <class 'sqlglot\.expressions\.[\w.]+'>"),
    re.compile(r"Unexpected end of input"),
)


def parse_problem(error: Exception, *, statement_index: int, truncated: bool, recovered: bool = False) -> Problem:
    """Return a Problem for a statement the parser rejected.

    Args:
        error: the exception sqlglot raised (``ParseError`` or an internal error).
        statement_index: 0-based index of the statement in the text.
        truncated: the text reached Snowflake's 100,000-character limit, so the failure
            is most likely the cut.
        recovered: table-level lineage was recovered from the statement's tokens.

    Returns:
        Problem with code ``truncated`` or ``parse_error``, line and column when known;
        the message says when lineage was recovered from the tokens anyway.
    """
    line = column = None
    detail = "syntax error"
    if isinstance(error, ParseError) and error.errors:
        first = error.errors[0]
        line, column = first.get("line"), first.get("col")
        description = str(first.get("description") or "")
        if any(p.fullmatch(description) for p in _SAFE_DESCRIPTIONS):
            detail = description
    elif not isinstance(error, ParseError):
        detail = f"parser failure ({type(error).__name__})"
    where = f" at line {line}, column {column}" if line is not None else ""
    salvage = "; table-level lineage recovered from its tokens, possibly incomplete" if recovered else ""
    if truncated:
        return Problem(
            code="truncated",
            message=f"statement {statement_index + 1} does not parse ({detail}{where}); the query text "
            f"reached Snowflake's {TRUNCATION_LENGTH:,}-character limit and was cut{salvage}",
            statement_index=statement_index,
            line=line,
            column=column,
        )
    return Problem(
        code="parse_error",
        message=f"statement {statement_index + 1} does not parse: {detail}{where}{salvage}",
        statement_index=statement_index,
        line=line,
        column=column,
    )


def token_problem(*, truncated: bool) -> Problem:
    """Return a Problem for text the tokenizer rejected (e.g. an unterminated string).

    Args:
        truncated: the text reached Snowflake's 100,000-character limit.
    """
    if truncated:
        return Problem(
            code="truncated",
            message=f"text cannot be tokenized; it reached Snowflake's {TRUNCATION_LENGTH:,}-character "
            "limit and was cut (likely inside a literal)",
        )
    return Problem(code="parse_error", message="text cannot be tokenized (unterminated string, quote or comment)")


def name_problem(code: str, *, statement_index: int, role: str) -> Problem:
    """Return a Problem about a dataset name that could not be fully resolved.

    Args:
        code: ``unqualified_name``, ``dynamic_sql``, ``external_location`` or ``invalid_name``.
        statement_index: 0-based index of the statement.
        role: ``target`` or ``upstream``.
    """
    reasons = {
        "unqualified_name": "is not fully qualified and the session has no default database or schema",
        "dynamic_sql": "is given by a variable (IDENTIFIER($var)) and cannot be resolved from the text",
        "external_location": "is an external location given as a literal; it is not tracked as a dataset",
        "invalid_name": "is given by IDENTIFIER() with a string that is not a valid object name",
    }
    reason = reasons.get(code, "cannot be resolved")
    return Problem(
        code=code, message=f"statement {statement_index + 1}: {role} name {reason}", statement_index=statement_index
    )


def unsupported_problem(*, statement_index: int, keyword: str) -> Problem:
    """Return a Problem for a statement sqlglot only parsed as an opaque command.

    Args:
        statement_index: 0-based index of the statement.
        keyword: the statement's leading keyword (``ALTER``, ``CREATE``...), upper case.
    """
    return Problem(
        code="unsupported",
        message=f"statement {statement_index + 1}: {keyword} statement may change lineage but its "
        "syntax is not supported by the parser; its lineage is missing",
        statement_index=statement_index,
    )


def unresolved_column_problem(*, statement_index: int, count: int) -> Problem:
    """Return a Problem for column references that could not be tied to one dataset.

    Args:
        statement_index: 0-based index of the statement.
        count: how many references (``SELECT *`` without known columns, or an unqualified
            column over several relations whose columns are unknown).
    """
    return Problem(
        code="unresolved_column",
        message=f"statement {statement_index + 1}: {count} column reference(s) could not be tied to one "
        "dataset without a schema (SELECT * or an unqualified column over several relations); their "
        "edges use '<unresolved>.column' or 'table.*'; pass a schema provider to resolve them",
        statement_index=statement_index,
    )


def column_error_problem(*, statement_index: int, error: Exception) -> Problem:
    """Return a Problem for a statement whose column lineage could not be computed.

    Args:
        statement_index: 0-based index of the statement.
        error: the exception; only its type name is reported (its text may quote SQL).
    """
    return Problem(
        code="column_error",
        message=f"statement {statement_index + 1}: column lineage could not be computed "
        f"({type(error).__name__}); its table-level lineage is unaffected",
        statement_index=statement_index,
    )
