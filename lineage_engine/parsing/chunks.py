"""Split a token stream into statements and prepare each one for the parser.

Token-level work done before parsing, each step cheap and explicit:

* :func:`split_statements` cuts at semicolons, so one bad statement does not hide the
  others (sqlglot's own ``parse`` raises for the whole text).
* :func:`body_statement` reads the first statement of an inline routine body as a
  statement of its own: ``CREATE PROCEDURE p() [AS] BEGIN INSERT ...;`` (T-SQL, Oracle,
  BigQuery, Snowflake Scripting without ``$$``) and a block's ``BEGIN [TRY] INSERT ...``.
  The body's later statements are chunks of their own already (they follow a semicolon),
  so without it the first one alone was lost. A body in a string (``AS $$ ... $$``) is
  not read: its statements appear in the query history when the routine is called.
* :func:`split_unterminated` cuts a T-SQL statement run that has no semicolons (T-SQL does
  not require them: ``insert into a select ... insert into b select ...``) before each
  word that can only start a new statement; the extractor uses it only after the whole
  chunk failed to parse, and only when every piece parses.
* :func:`needs_parse` skips statements that can never change lineage (SELECT, SHOW,
  DESCRIBE, COMMIT, GRANT, CALL, ..., and ALTER without RENAME, SWAP or EXCHANGE): parse errors in
  them are not reported, since they would not change the lineage either.
* :func:`trim_merge` is the table-level fast path for MERGE: when the WHEN clauses hold no
  subquery and no ``IDENTIFIER``/``TABLE`` name function they cannot reference a dataset,
  so they are replaced by a stub clause before parsing (dbt's merges spend most of their
  tokens in long ``UPDATE SET`` / ``INSERT`` column lists). A syntax error inside those
  clauses then goes unreported, which cannot change table-level lineage. Column-level
  lineage (issue 5) needs the full clauses and must not use it.
* :func:`rewrite_for_retry` drops object-flavour words sqlglot 30.22 does not know in some
  positions but that do not change table-level lineage, for a second parse attempt after
  an opaque-Command fallback.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from functools import lru_cache

from sqlglot.dialects.dialect import Dialect
from sqlglot.tokens import Token, TokenType

_NO_LINEAGE_HEADS = frozenset(
    {"SELECT", "SHOW", "DESCRIBE", "DESC", "COMMIT", "ROLLBACK", "GRANT", "REVOKE", "EXPLAIN",
     "LIST", "LS", "PUT", "GET", "REMOVE", "RM", "CALL", "COMMENT", "SET", "UNSET"}
)
PARTITION_FUNCTIONS = frozenset({"COPY_PARTITIONS_TO_TABLE", "MOVE_PARTITIONS_TO_TABLE",
                                 "SWAP_PARTITIONS_BETWEEN_TABLES"})
"""Vertica functions that move partitions between tables, called in a SELECT (:func:`.ddl.partition_function`)."""
_IDENTITY_WORDS = frozenset({"RENAME", "SWAP", "EXCHANGE", "APPEND"})  # ALTERs that move data or identity
_NAME_FUNCTIONS = frozenset({"IDENTIFIER", "TABLE"})
_TEMP_WORDS = frozenset({"TEMPORARY", "TEMP", "VOLATILE"})
_FLAVOURS = frozenset({"DYNAMIC", "EXTERNAL", "ICEBERG", "HYBRID", "MATERIALIZED", "EVENT"})
_SUBQUERY_TYPES = frozenset({TokenType.SELECT, TokenType.WITH})
_MERGE_STUB = "WHEN MATCHED THEN DELETE"


def split_statements(text: str, tokens: list[Token]) -> list[list[Token]]:
    """Split a token list at semicolons into non-empty statements.

    Args:
        text: the text the tokens came from (a text without ``;`` is one statement).
        tokens: the whole text's tokens.

    Returns:
        One token list per statement, in text order; empty statements dropped.
    """
    if ";" not in text:
        return [tokens] if tokens else []
    semi = TokenType.SEMICOLON
    cuts = [i for i, tok in enumerate(tokens) if tok.token_type == semi]
    if not cuts:
        return [tokens] if tokens else []
    chunks: list[list[Token]] = []
    start = 0
    for cut in [*cuts, len(tokens)]:
        if cut > start:
            chunks.append(tokens[start:cut])
        start = cut + 1
    return chunks


_ROUTINE_WORDS = frozenset({"PROCEDURE", "PROC", "FUNCTION", "TASK"})
_BLOCK_WORDS = frozenset({"BEGIN", "TRY"})
_STATEMENT_HEADS = frozenset(
    {"INSERT", "UPDATE", "DELETE", "MERGE", "SELECT", "WITH", "CREATE", "TRUNCATE", "COPY", "DROP", "ALTER",
     "UNLOAD"}
)


def body_statement(chunk: list[Token]) -> list[Token]:
    """Return the statement a routine header or block opening word stands before, or ``chunk``.

    ``CREATE [OR REPLACE|OR ALTER] PROCEDURE|PROC|FUNCTION name (...) [...] [AS] BEGIN
    [TRY] <statement>``, Snowflake ``CREATE TASK t ... AS <statement>`` and ``CREATE PIPE p ... AS
    COPY INTO ...``: the tokens of
    ``<statement>`` (the header itself moves no data).
    ``BEGIN [TRY] <statement>``: the same. The statement must start with a word that can
    carry lineage (INSERT, UPDATE, DELETE, MERGE, SELECT, WITH, CREATE, TRUNCATE, COPY,
    DROP, ALTER, UNLOAD); anything else (``BEGIN TRANSACTION``, ``AS $$...$$``, ``AS
    RETURN``, a DECLARE) gives ``chunk`` unchanged.

    Args:
        chunk: one statement's tokens (non-empty).
    """
    if chunk[0].text.upper() == "BEGIN":  # BigQuery tokenizes BEGIN as a COMMAND: compare words
        rest = _after_block_words(chunk, 0)
        return rest if rest is not None else chunk
    if chunk[0].token_type != TokenType.CREATE or not (_creates_routine(chunk) or _creates_pipe(chunk)):
        return chunk
    for i, tok in _top_level(chunk):
        if (word := tok.text.upper()) in ("BEGIN", "AS"):
            rest = _after_block_words(chunk, i if word == "BEGIN" else i + 1)
            if rest is not None:
                return rest
            if word == "BEGIN":
                return chunk
    return chunk


def _creates_routine(chunk: list[Token]) -> bool:
    """Say whether ``chunk`` creates a procedure, function or task (not a table or view named so).

    The routine word must come before any ``TABLE`` / ``VIEW`` (BigQuery's ``TABLE FUNCTION`` is a
    routine): ``CREATE TABLE task AS SELECT ...`` or ``CREATE VIEW db.proc AS ...`` is a CTAS or a
    view whose lineage was lost when its name was read as a routine header.
    """
    for j, tok in enumerate(chunk[1:6], start=1):
        word = tok.text.upper()
        if word in _ROUTINE_WORDS:
            before = [t.text.upper() for t in chunk[1:j]]
            return "VIEW" not in before and ("TABLE" not in before or (word == "FUNCTION" and before[-1:] == ["TABLE"]))
    return False


def _creates_pipe(chunk: list[Token]) -> bool:
    """Say whether ``chunk`` is Snowflake's ``CREATE [OR REPLACE] PIPE [IF NOT EXISTS] p ... AS COPY INTO ...``.

    Snowflake "CREATE PIPE": Snowpipe runs the pipe's COPY whenever files arrive, serverless: the
    loads are not statements of the query history, so the definition is the only record of the flow.
    """
    words = [t.text.upper() for t in chunk[1:4]]
    return words[:1] == ["PIPE"] or words[:3] == ["OR", "REPLACE", "PIPE"]


def _top_level(chunk: list[Token]) -> Iterator[tuple[int, Token]]:
    """Yield ``(index, token)`` for the tokens outside every parenthesis (the parentheses left out)."""
    depth = 0
    l_paren, r_paren = TokenType.L_PAREN, TokenType.R_PAREN
    for i, tok in enumerate(chunk):
        kind = tok.token_type
        if kind == l_paren:
            depth += 1
        elif kind == r_paren:
            depth -= 1
        elif depth == 0:
            yield i, tok


def _after_block_words(chunk: list[Token], at: int) -> list[Token] | None:
    """Return the tokens after the BEGIN / TRY words from ``at`` when a lineage statement starts there."""
    i = at
    while i < len(chunk) and chunk[i].text.upper() in _BLOCK_WORDS:
        i += 1
    if i < len(chunk) and chunk[i].text.upper() in _STATEMENT_HEADS:
        return chunk[i:]
    return None


_NEW_STATEMENT_WORDS = frozenset(
    {"INSERT", "UPDATE", "DELETE", "MERGE", "CREATE", "DROP", "ALTER", "TRUNCATE", "DECLARE", "EXEC", "EXECUTE",
     "PRINT", "USE", "GO"}
)
# A statement word right after these is part of the statement before it (MERGE's ``THEN
# UPDATE``, a trigger's ``AFTER INSERT``, ``FOR UPDATE``, ``ON DELETE``, ``INSTEAD OF
# INSERT``, a list ``INSERT, UPDATE``).
_CONTINUES = frozenset({"THEN", "AFTER", "BEFORE", "FOR", "OF", "ON", ",", "INSTEAD", "(", "OR"})


def split_unterminated(chunk: list[Token]) -> list[list[Token]]:
    """Cut a statement run without semicolons before each top-level statement word.

    Args:
        chunk: the tokens of what the semicolon split took for one statement.

    Returns:
        The pieces in text order (``[chunk]`` when there is nothing to cut); a statement
        word counts at parenthesis depth 0, not first, and not after a word that makes it
        part of the statement before (:data:`_CONTINUES`).
    """
    cuts = [i for i, tok in _top_level(chunk)
            if i and tok.text.upper() in _NEW_STATEMENT_WORDS and chunk[i - 1].text.upper() not in _CONTINUES]
    if not cuts:
        return [chunk]
    bounds = [0, *cuts, len(chunk)]
    return [chunk[a:b] for a, b in zip(bounds, bounds[1:]) if chunk[a].text.upper() != "GO" or b - a > 1]


def needs_parse(chunk: Sequence[Token], *, queries: bool = False) -> bool:
    """Return False for a statement that cannot change lineage or dataset identity.

    A SELECT is parsed when it has an INTO (``SELECT ... INTO t``, a CTAS in T-SQL,
    PostgreSQL, Redshift) or calls a Vertica partition function.

    Args:
        chunk: one statement's tokens (non-empty).
        queries: SELECT statements are wanted too (their reads; batch extraction), and
            every ALTER (reported as an operation).
    """
    head = chunk[0].text.upper()
    if head == "GET" and queries:
        return True  # Snowflake GET @stage file://...: a download of the stage's files (a read, access history)
    if head == "SELECT" and (queries or (len(chunk) > 1 and chunk[1].text.upper() in PARTITION_FUNCTIONS)
                             or any(tok.token_type == TokenType.INTO for tok in chunk)):
        return True  # its reads (``queries``), a Vertica partition function, or SELECT ... INTO t (a CTAS)
    if head in _NO_LINEAGE_HEADS:
        return False
    if head == "ALTER":  # RENAME / SWAP move identity, DROP [COLUMN] ends columns; with ``queries`` every ALTER
        return queries or any(tok.text.upper() in _IDENTITY_WORDS or tok.text.upper() == "DROP" for tok in chunk)
    if head == "BEGIN" or head == "START":
        return len(chunk) > 2  # BEGIN [TRANSACTION|WORK] alone is a transaction
    return True


def trim_merge(engine: Dialect, chunk: list[Token]) -> list[Token]:
    """Replace a MERGE's WHEN clauses by a stub when they cannot reference a dataset.

    Args:
        engine: the dialect (to tokenize the stub).
        chunk: one statement's tokens.

    Returns:
        The tokens to parse: ``chunk`` unchanged unless it is a MERGE whose clauses from
        the first top-level WHEN on contain no SELECT/WITH and no IDENTIFIER()/TABLE().
    """
    start = merge_clauses_start(chunk)
    if start is None:
        return chunk
    tail = chunk[start:]
    subquery = _SUBQUERY_TYPES
    if any(t.token_type in subquery or t.text.upper() in _NAME_FUNCTIONS for t in tail):
        return chunk
    return merge_head(engine, chunk, start)


def merge_clauses_start(chunk: Sequence[Token]) -> int | None:
    """Return the index of a MERGE's first top-level WHEN, or None (not a MERGE, or none)."""
    if chunk[0].token_type != TokenType.MERGE:
        return None
    depth = 0  # parentheses and CASE ... END both nest WHEN
    l_paren, r_paren, when = TokenType.L_PAREN, TokenType.R_PAREN, TokenType.WHEN
    case, end = TokenType.CASE, TokenType.END
    for i, tok in enumerate(chunk):
        kind = tok.token_type
        if kind == l_paren or kind == case:
            depth += 1
        elif kind == r_paren or kind == end:
            depth -= 1
        elif kind == when and depth == 0:
            return i
    return None


def merge_head(engine: Dialect, chunk: list[Token], start: int) -> list[Token]:
    """Return the MERGE's tokens before ``start`` followed by a stub WHEN clause."""
    return chunk[:start] + list(_stub_tokens(type(engine)))


@lru_cache(maxsize=64)
def _stub_tokens(dialect: type[Dialect]) -> tuple[Token, ...]:
    # Memoized per dialect class: the stub's tokens never change and the parser only reads them.
    return tuple(dialect().tokenize(_MERGE_STUB))


def rewrite_for_retry(chunk: list[Token]) -> list[Token] | None:
    """Drop object-flavour words that make sqlglot 30.22 fall back to an opaque Command.

    Handles ``CREATE LOCAL|GLOBAL TEMPORARY ...`` (Snowflake synonyms of TEMPORARY),
    ``CREATE HYBRID TABLE``, ``DROP DYNAMIC|EXTERNAL TABLE``, ``ALTER DYNAMIC TABLE ...
    RENAME TO``, ``ALTER MATERIALIZED VIEW ... RENAME TO`` and the like: for lineage such
    an object is a table or a view all the same.

    Returns:
        The rewritten tokens, or None when no rewrite applies.
    """
    if len(chunk) < 3 or chunk[0].token_type not in (TokenType.CREATE, TokenType.DROP, TokenType.ALTER):
        return None
    drop: list[int] = []
    for i in range(1, min(len(chunk) - 1, 8)):
        word = chunk[i].text.upper()
        if word in ("TABLE", "VIEW"):
            break
        following = chunk[i + 1].text.upper()
        if word in _FLAVOURS or (word in ("LOCAL", "GLOBAL") and following in _TEMP_WORDS):
            drop.append(i)
    else:
        return None
    if not drop:
        return None
    return [tok for i, tok in enumerate(chunk) if i not in drop]
