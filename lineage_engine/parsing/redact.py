"""Redact literals from SQL text and fingerprint it, so query text can be stored safely.

Literals in SQL often hold PII (``WHERE email = 'jane@example.com'``). The redacted text
replaces every string and number literal by ``?`` and every comment, whole, by the marker
``/* … */`` (a comment is free text: ``-- customer jane.doe@… asked`` is PII even without
a quote, and a commented-out predicate holds literals). The sqlglot tokenizer finds the literals; when the text cannot be
tokenized (e.g. cut off by Snowflake inside a string) a conservative regular expression
takes over, which redacts an unterminated string up to the end of the text.

The fingerprint is a SHA-256 hex digest of the redacted text with comments removed,
whitespace collapsed and case folded. Two consequences, by design: texts that differ only
in literal values, comments, layout or identifier case share a fingerprint, and string
arguments of ``IDENTIFIER('db.s.t')`` / ``TABLE('db.s.t')`` are kept (they name the
dataset), so equal fingerprints still mean equal table-level lineage.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import SqlglotError
from sqlglot.tokens import Token, TokenType

LITERAL_TOKEN_TYPES: frozenset[TokenType] = frozenset(
    {
        TokenType.STRING,
        TokenType.NUMBER,
        TokenType.BIT_STRING,
        TokenType.HEX_STRING,
        TokenType.BYTE_STRING,
        TokenType.NATIONAL_STRING,
        TokenType.RAW_STRING,
        TokenType.HEREDOC_STRING,
        TokenType.UNICODE_STRING,
    }
)
"""Token types whose text is a literal value."""

_NAME_FUNCTIONS = frozenset({"IDENTIFIER", "TABLE"})

# Inside comments and in the fallback: quoted strings (unterminated ones run to the end),
# dollar-quoted strings and numbers. Double-quoted text in comments is redacted too.
_COMMENT_LITERALS = re.compile(
    r"'(?:[^'\\]|\\.|'')*(?:'|\Z)|\"[^\"]*(?:\"|\Z)|\$\$.*?(?:\$\$|\Z)|\b\d+(?:\.\d*)?(?:e[+-]?\d+)?\b",
    re.DOTALL | re.IGNORECASE,
)
# Fallback over the whole text: comments first (their content is redacted by the pattern
# above), then string, dollar and number literals; double-quoted identifiers are kept.
_FALLBACK = re.compile(
    r"(?P<comment>--[^\n]*|//[^\n]*|/\*.*?(?:\*/|\Z))"
    r"|(?P<ident>\"(?:[^\"]|\"\")*\")"
    r"|(?P<literal>'(?:[^'\\]|\\.|'')*(?:'|\Z)|\$\$.*?(?:\$\$|\Z)"
    r"|\b\d+(?:\.\d*)?(?:e[+-]?\d+)?\b|(?<![\w.])\.\d+\b)",
    re.DOTALL | re.IGNORECASE,
)
_FALLBACK_COMMENT = re.compile(r"--[^\n]*|//[^\n]*|/\*.*?(?:\*/|\Z)", re.DOTALL)

COMMENT_MARKER = "/* … */"
"""What a comment becomes in redacted text: its place is kept, none of its text."""


def redact_literals(text: str, *, dialect: str = "snowflake") -> str:
    """Return ``text`` with every string and number literal replaced by ``?``.

    Never raises on bad SQL: when tokenizing fails (or ``dialect`` is unknown), a regular
    expression redacts quoted and dollar-quoted strings (to the end of the text when
    unterminated) and numbers.

    Args:
        text: SQL text, possibly several statements, possibly truncated.
        dialect: sqlglot dialect name.

    Returns:
        The redacted text; layout is kept, each comment is replaced by :data:`COMMENT_MARKER`.
    """
    tokens = _tokenize(text, dialect)
    if tokens is None:
        return redact_untokenized(text)
    return redact_tokens(text, tokens)[0]


def fingerprint(text: str, *, dialect: str = "snowflake") -> str:
    """Return the stable fingerprint of ``text`` (64 hex characters).

    Args:
        text: SQL text.
        dialect: sqlglot dialect name.

    Returns:
        SHA-256 hex digest of the redacted text without comments, whitespace collapsed,
        case folded. Stable across processes and versions of this module's inputs.
    """
    tokens = _tokenize(text, dialect)
    if tokens is None:
        return fingerprint_untokenized(text)
    return redact_tokens(text, tokens)[1]


def redact_tokens(text: str, tokens: Sequence[Token]) -> tuple[str, str]:
    """Redact ``text`` using its sqlglot tokens; also compute its fingerprint.

    Args:
        text: the text the tokens came from.
        tokens: ``Dialect.tokenize(text)``.

    Returns:
        ``(redacted_text, fingerprint)``.
    """
    if not tokens:  # nothing but whitespace and comments
        return _redact_comment_gap(text), _digest("")
    literal_types = LITERAL_TOKEN_TYPES
    marks = [(i, tok) for i, tok in enumerate(tokens) if tok.comments or tok.token_type in literal_types]
    redacted: list[str] = []
    canonical: list[str] = []
    pos = 0
    last = len(tokens) - 1
    for i, tok in marks:
        if tok.token_type in literal_types and i > 0 and tokens[i - 1].token_type == TokenType.COMMAND:
            # sqlglot reads the rest of a command (CALL p('x'), ...) as one STRING token whose
            # offsets do not cover it: redact that rest by pattern (comments in it included),
            # keeping its names.
            start = max(pos, tokens[i - 1].end + 1)
            end = tokens[i + 1].start if i < last else len(text)
            rest = redact_untokenized(text[start:end])
            redacted.extend((text[pos:start], rest))
            canonical.extend((text[pos:start], _FALLBACK_COMMENT.sub(" ", rest)))
            pos = end
            continue
        if tok.comments:
            # Comments live in the gaps next to the token they are attached to.
            gap_start = tokens[i - 1].end + 1 if i > 0 else 0
            if gap_start >= pos:
                redacted.append(text[pos:gap_start])
                canonical.append(text[pos:gap_start])
                redacted.append(_redact_comment_gap(text[gap_start : tok.start]))
                canonical.append(" ")
                pos = tok.start
        if tok.token_type in literal_types:
            start = tok.start
            redacted.append(text[pos:start])
            canonical.append(text[pos:start])
            redacted.append("?")
            canonical.append(_canonical_literal(text, tokens, i))
            pos = tok.end + 1
        if tok.comments:
            gap_end = tokens[i + 1].start if i < last else len(text)
            start = max(pos, tok.end + 1)
            redacted.append(text[pos:start])
            canonical.append(text[pos:start])
            redacted.append(_redact_comment_gap(text[start:gap_end]))
            canonical.append(" ")
            pos = gap_end
    redacted.append(text[pos:])
    canonical.append(text[pos:])
    return "".join(redacted), _digest("".join(canonical))


def redact_untokenized(text: str) -> str:
    """Redact ``text`` that the tokenizer rejected, with regular expressions only.

    Args:
        text: SQL text, e.g. cut off inside a string literal.

    Returns:
        The text with strings, dollar-quoted strings and numbers replaced by ``?`` and
        comments by :data:`COMMENT_MARKER`; an unterminated string or comment is redacted
        to the end.
    """
    return _FALLBACK.sub(_fallback_replacement, text)


def fingerprint_untokenized(text: str) -> str:
    """Return the fingerprint of text the tokenizer rejected (comments dropped)."""
    redacted = _FALLBACK_COMMENT.sub(" ", redact_untokenized(text))
    return _digest(redacted)


def _tokenize(text: str, dialect: str) -> list[Token] | None:
    try:
        return Dialect.get_or_raise(dialect).tokenize(text)
    except (SqlglotError, ValueError, IndexError):
        return None


def _canonical_literal(text: str, tokens: Sequence[Token], i: int) -> str:
    # Keep the string argument of IDENTIFIER('x') / TABLE('x'): it names a dataset.
    if i >= 2 and tokens[i - 1].token_type == TokenType.L_PAREN:
        if tokens[i - 2].text.upper() in _NAME_FUNCTIONS and tokens[i].token_type == TokenType.STRING:
            return text[tokens[i].start : tokens[i].end + 1]
    return "?"


def _redact_comment_gap(gap: str) -> str:
    # A gap between tokens holds only whitespace and comments; any other leftover text
    # (the tokenizer skipped it) is redacted like a comment's content.
    if not gap or gap.isspace():
        return gap
    return _COMMENT_LITERALS.sub("?", _FALLBACK_COMMENT.sub(COMMENT_MARKER, gap))


def _fallback_replacement(match: re.Match[str]) -> str:
    if match.lastgroup == "comment":
        return COMMENT_MARKER
    if match.lastgroup == "ident":
        return match.group()
    return "?"


def _digest(canonical: str) -> str:
    folded = " ".join(canonical.split()).casefold()
    return hashlib.sha256(folded.encode("utf-8")).hexdigest()
