"""Token rewrites for dialect syntax sqlglot 30.22 does not parse, applied before parsing.

Each fix works on one statement's sqlglot tokens, never on raw text, so string literals,
quoted identifiers and comments are out of reach (they are single tokens, or no token at
all). A fix returns the very same list when it does not apply, and the extractor parses the
original tokens again when the rewritten ones fail, so a fix can only turn a parse error
into a parse, never the reverse. Each applies to one sqlglot dialect class exactly
(subclasses such as Fabric's T-SQL are not assumed to share the syntax):

* ``athena`` -- :func:`quote_backticks`: a backtick-quoted name in a statement sqlglot's
  Athena tokenizer routes to Trino (DML, CTAS, views) becomes the quoted identifier it is
  in Athena's Hive-routed DDL.
* ``tsql`` -- :func:`expand_compound_assignments`: ``x += e`` becomes ``x = x + (e)``.
* ``teradata`` -- :func:`~lineage_engine.parsing.teradata_phrases.drop_attribute_phrases`:
  ``expr (TITLE 'x')``, ``(FORMAT ...)``, ``(NAMED n)``, ``(CHAR(10))`` ... in a select list.
* ``snowflake`` -- :func:`scoped_temporary`: Snowpark's ``CREATE SCOPED TEMPORARY`` is read as
  ``CREATE TEMPORARY``; and :func:`merge_all_by_name`: MERGE's ``UPDATE ALL BY NAME`` / ``INSERT ALL
  BY NAME`` become ``UPDATE SET *`` / ``INSERT *``, which sqlglot parses and which mean the
  same (every source column into the target column of the same name). Any statement but
  a MERGE or a COPY returns at its first token, so the hot path pays one comparison.
  :func:`copy_files`: ``COPY FILES INTO @to FROM @from`` is read as ``COPY INTO @to FROM @from``.
* ``mysql`` (and SQLite) -- :func:`replace_as_insert`: ``REPLACE [INTO] t ...`` (an insert
  that first deletes rows with the same key) is read as ``INSERT INTO t ...``: the same rows
  flow from the same sources.
* ``oracle`` -- :func:`plsql_attributes`: a PL/SQL cursor attribute (``SQL%ROWCOUNT``,
  ``c%FOUND``, ``%NOTFOUND``, ``%ISOPEN``, ``%BULK_ROWCOUNT``) is a run-time value, not the
  modulo of two columns: it becomes ``NULL``.
* ``databricks``, ``spark`` -- :func:`identifier_literals`: ``IDENTIFIER('cat.sch.tbl')``
  with a string literal becomes the name it holds, wherever a name may stand (sqlglot 30.22
  parses it as a function call, a table named ``identifier`` or not at all).

Fixes are pure, linear in the statement's tokens and never raise; dialects without a fix
cost one cached lookup per extraction (:func:`dialect_fix`).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache, partial

from sqlglot.dialects.dialect import Dialect
from sqlglot.tokens import Token, TokenType

from lineage_engine.parsing.teradata_phrases import drop_attribute_phrases

TokenFix = Callable[[list[Token], str], list[Token]]
"""``fix(chunk, text) -> tokens``: ``chunk`` itself when nothing applies."""

_BACKTICK = "`"
_DATABRICKS = Dialect.get_or_raise("databricks")
_MYSQL = Dialect.get_or_raise("mysql")
_COMPOUND_OPERATORS = frozenset(
    {TokenType.PLUS, TokenType.DASH, TokenType.STAR, TokenType.SLASH, TokenType.MOD, TokenType.AMP,
     TokenType.PIPE, TokenType.CARET}
)
_NAME_TYPES = frozenset({TokenType.VAR, TokenType.IDENTIFIER})
_LITERALS = frozenset({TokenType.NUMBER, TokenType.STRING})
_ASSIGNMENT_STARTS = frozenset({TokenType.SET, TokenType.COMMA, TokenType.SELECT})
# Words that end a SET item's expression at nesting depth 0 (clauses of UPDATE / SELECT /
# MERGE, or the head of a next statement, as T-SQL needs no semicolon between them).
_TSQL_STOP_WORDS = frozenset(
    {"FROM", "WHERE", "OUTPUT", "OPTION", "WHEN", "GROUP", "GROUP BY", "ORDER", "ORDER BY", "HAVING", "UNION",
     "EXCEPT", "INTERSECT", "INTO", "SELECT", "INSERT", "UPDATE", "DELETE", "MERGE", "SET", "DECLARE", "IF",
     "ELSE", "BEGIN", "RETURN", "EXEC", "EXECUTE", "WHILE", "PRINT", "CREATE", "DROP", "ALTER", "TRUNCATE",
     "WITH", "GO", "THROW", "RAISERROR", "COMMIT", "ROLLBACK"}
)


def dialect_fix(engine: Dialect) -> TokenFix | None:
    """Return the token fix for ``engine``'s dialect, or None (most dialects, Snowflake).

    Cached per dialect class, so the hot path pays one dictionary lookup per extraction.
    """
    return _fix_for_class(type(engine))


@lru_cache(maxsize=32)
def _fix_for_class(dialect: type[Dialect]) -> TokenFix | None:
    if dialect is type(Dialect.get_or_raise("athena")):
        return quote_backticks
    if dialect is type(Dialect.get_or_raise("tsql")):
        return expand_compound_assignments
    if dialect is type(Dialect.get_or_raise("snowflake")):
        return _snowflake_fix
    if dialect in (type(Dialect.get_or_raise("databricks")), type(Dialect.get_or_raise("spark"))):
        return identifier_literals
    if dialect is type(Dialect.get_or_raise("oracle")):
        return plsql_attributes
    if dialect in (type(Dialect.get_or_raise("mysql")), type(Dialect.get_or_raise("sqlite"))):
        return replace_as_insert
    if dialect is type(Dialect.get_or_raise("teradata")):
        parser = dialect.parser_class
        known = frozenset(parser.FUNCTIONS) | frozenset(parser.FUNCTION_PARSERS)
        return partial(_teradata_fix, functions=known)
    return None


def _teradata_fix(chunk: list[Token], text: str, *, functions: frozenset[str]) -> list[Token]:
    return drop_attribute_phrases(chunk, functions=functions)


def quote_backticks(chunk: list[Token], text: str) -> list[Token]:
    """Merge each backtick-quoted name into one quoted-identifier token (Athena).

    Athena sends DDL without a query to its Hive engine, where backticks quote identifiers,
    and the rest to Trino, which quotes with double quotes (AWS, *Athena User Guide*,
    "Escape reserved keywords in queries"; sqlglot's ``athena`` module docstring). sqlglot
    30.22's Athena tokenizer therefore leaves a backtick in a Trino-routed statement as an
    UNKNOWN token and the parse fails. AWS documents backticks for DDL only, but text that
    uses them in queries exists (sqlfluff's ``athena`` dialect and the sqllineage corpus
    accept it), and a backtick pair there has no reading but a quoted identifier. The
    merged token is the one a double-quoted name gives, so ids and display names come out
    exactly as for ``"name"`` (Athena folds both to lower case).

    Args:
        chunk: one statement's tokens, as the Athena tokenizer produced them from ``text``.
        text: the whole text the tokens' offsets point into.

    Returns:
        ``chunk`` unchanged when it holds no backtick token, or a backtick is unmatched or
        doubled (Hive's escape), or a quoted name would be empty or hold a quote or comment;
        else the tokens with each `` `name` `` span replaced by one IDENTIFIER token spanning
        the same characters.
    """
    unknown = TokenType.UNKNOWN
    opens = [i for i, tok in enumerate(chunk) if tok.token_type == unknown and tok.text == _BACKTICK]
    if not opens or len(opens) % 2:
        return chunk
    out: list[Token] = []
    last = 0
    if any(chunk[a].end + 1 == chunk[b].start for a, b in zip(opens, opens[1:], strict=False)):
        return chunk  # ``a``b``: a doubled backtick escapes one inside the name
    for a, b in zip(opens[::2], opens[1::2], strict=True):
        first, close = chunk[a], chunk[b]
        inner = text[first.end + 1 : close.start]
        if not inner or any(q in inner for q in ("'", '"', "--", "/*")) or any(t.comments for t in chunk[a + 1 : b]):
            return chunk
        out.extend(chunk[last:a])
        out.append(Token(TokenType.IDENTIFIER, inner, close.line, close.col, first.start, close.end,
                         [*first.comments, *close.comments]))
        last = b + 1
    out.extend(chunk[last:])
    return out


def identifier_literals(chunk: list[Token], text: str) -> list[Token]:
    """Replace Databricks' ``IDENTIFIER('a.b.`c d`')`` by the name it holds (Databricks, Spark).

    Databricks SQL reference, "IDENTIFIER clause": ``IDENTIFIER(strExpr)`` turns a constant
    string into a (qualified) table, view, column or function name; parts are separated by
    dots and may be quoted with backticks. A string literal argument is rewritten into the
    name's tokens; a parameter marker or any other expression is left alone.

    Args:
        chunk: one statement's tokens (Databricks or Spark tokenizer).
        text: the whole text (unused; part of the fix signature).

    Returns:
        ``chunk`` unchanged when it holds no ``IDENTIFIER ( 'string' )``, or a string is not
        a name; else the tokens with each such clause replaced by the name's tokens
        (positions within the string's span).
    """
    out: list[Token] = []
    last = 0
    for i, tok in enumerate(chunk):
        if tok.token_type != TokenType.VAR or len(tok.text) != 10 or tok.text.upper() != "IDENTIFIER":
            continue
        if i + 3 >= len(chunk):
            break
        open_, value, close = chunk[i + 1], chunk[i + 2], chunk[i + 3]
        if open_.token_type != TokenType.L_PAREN or value.token_type != TokenType.STRING \
                or close.token_type != TokenType.R_PAREN:
            continue
        name = _name_tokens(value.text, value)
        if name is None:
            return chunk
        out.extend(chunk[last:i])
        out.extend(name)
        last = i + 4
    if not out:
        return chunk
    out.extend(chunk[last:])
    return out


def _name_tokens(name: str, at: Token) -> list[Token] | None:
    """Return the tokens of the dotted name in ``IDENTIFIER('...')``, placed at ``at``; None if not a name.

    The string is tokenized by sqlglot's Databricks tokenizer (backticks quote a part,
    doubled inside it); a name is parts separated by dots, each a backtick-quoted
    identifier or a bare word of letters, digits, ``_`` and ``$`` (kept as a plain name
    token, keywords such as ``default`` included).
    """
    try:
        tokens = _DATABRICKS.tokenize(name)
    except Exception:  # noqa: BLE001 - an odd string is simply not a name
        return None
    if not tokens or len(tokens) % 2 == 0:
        return None
    out: list[Token] = []
    for n, tok in enumerate(tokens):
        if n % 2:
            if tok.token_type != TokenType.DOT:
                return None
            out.append(Token(TokenType.DOT, ".", at.line, at.col, at.start, at.start))
        elif tok.token_type == TokenType.IDENTIFIER and tok.text:
            out.append(Token(TokenType.IDENTIFIER, tok.text, at.line, at.col, at.start, at.end))
        elif tok.token_type != TokenType.IDENTIFIER and tok.text and all(c.isalnum() or c in "_$" for c in tok.text):
            out.append(Token(TokenType.VAR, tok.text, at.line, at.col, at.start, at.end))
        else:
            return None
    return out


_CURSOR_ATTRIBUTES = frozenset({"ROWCOUNT", "FOUND", "NOTFOUND", "ISOPEN", "BULK_ROWCOUNT", "BULK_EXCEPTIONS"})


def plsql_attributes(chunk: list[Token], text: str) -> list[Token]:
    """Replace PL/SQL cursor attributes ``name%ROWCOUNT`` (and FOUND, NOTFOUND ...) by ``NULL`` (Oracle).

    Oracle PL/SQL reference, "Cursor attributes": ``SQL%ROWCOUNT`` is the row count of the
    last statement, a run-time value; sqlglot reads it as ``sql % rowcount``, two columns.
    """
    hits = [i for i in range(1, len(chunk) - 1)
            if chunk[i].token_type == TokenType.MOD and chunk[i + 1].text.upper() in _CURSOR_ATTRIBUTES
            and chunk[i - 1].token_type in _NAME_TYPES]
    if not hits:
        return chunk
    out: list[Token] = []
    last = 0
    for i in hits:
        name = chunk[i - 1]
        out.extend(chunk[last:i - 1])
        out.append(Token(TokenType.NULL, "NULL", name.line, name.col, name.start, chunk[i + 1].end, name.comments))
        last = i + 2
    out.extend(chunk[last:])
    return out


def replace_as_insert(chunk: list[Token], text: str) -> list[Token]:
    """Rewrite MySQL / SQLite ``REPLACE [INTO] t ...`` as ``INSERT INTO t ...`` (sqlglot 30.22 keeps a Command).

    MySQL reference, "REPLACE Statement": it works like INSERT, except that an old row with
    the same primary or unique key is deleted first; for lineage the rows flow the same way.
    The tokenizer reads everything after ``REPLACE`` as one command string: it is tokenized
    again by the MySQL tokenizer, positions shifted to the text's.
    """
    if len(chunk) != 2 or chunk[0].text.upper() != "REPLACE" or chunk[1].token_type != TokenType.STRING:
        return chunk
    head, rest = chunk
    try:
        tokens = _MYSQL.tokenize(rest.text)
    except Exception:  # noqa: BLE001 - not tokenizable: leave the statement as it was
        return chunk
    if not tokens:
        return chunk
    at = rest.start
    shifted = [Token(t.token_type, t.text, t.line, t.col, t.start + at, t.end + at, t.comments) for t in tokens]
    out = [Token(TokenType.INSERT, "INSERT", head.line, head.col, head.start, head.end, head.comments)]
    if shifted[0].token_type != TokenType.INTO:
        out.append(Token(TokenType.INTO, "INTO", head.line, head.col, head.end, head.end))
    return out + shifted


def copy_files(chunk: list[Token], text: str) -> list[Token]:
    """Read Snowflake's ``COPY FILES INTO @to FROM @from [FILES = (...)] [PATTERN = '...']`` as ``COPY INTO @to FROM @from ...``.

    Snowflake "COPY FILES": the files of one stage (internal or external) are copied into another,
    so whatever an unload put in ``@from`` is then in ``@to`` too: an external target is egress.
    sqlglot 30.22 rejects the word ``FILES``; without it the statement is a stage-to-stage COPY,
    which :mod:`.statements` reads as an unload of every column (``@to.* <- @from.*``). The form
    ``FROM (SELECT <url> ...)`` copies files named by a query's values: left as it is (quarantined).
    """
    if (len(chunk) < 6 or chunk[0].token_type != TokenType.COPY or chunk[1].text.upper() != "FILES"
            or chunk[2].token_type != TokenType.INTO):
        return chunk
    at = next((i for i, t in enumerate(chunk) if t.token_type == TokenType.FROM), None)
    if at is None or at + 1 >= len(chunk) or chunk[at + 1].token_type == TokenType.L_PAREN:
        return chunk
    return chunk[:1] + chunk[2:]


def _snowflake_fix(chunk: list[Token], text: str) -> list[Token]:
    if chunk and chunk[0].token_type == TokenType.COPY:
        return copy_files(chunk, text)
    return merge_all_by_name(scoped_temporary(chunk, text), text)


def scoped_temporary(chunk: list[Token], text: str) -> list[Token]:
    """Read Snowpark's ``CREATE [OR REPLACE] SCOPED TEMPORARY TABLE|VIEW`` as ``... TEMPORARY ...``,
    and ``CREATE [OR REPLACE] [SECURE] RECURSIVE VIEW`` as ``... VIEW``.

    Snowpark names its session objects ``SNOWPARK_TEMP_TABLE_…`` and creates them ``SCOPED
    TEMPORARY`` (temporary, and dropped with the stored procedure that made them); sqlglot 30.22
    rejects the word, so the statement was quarantined as unsupported and a DataFrame pipeline's
    chain through its temporary tables was cut. Only the word ``SCOPED`` right before
    ``TEMPORARY``/``TEMP`` among the first words of a CREATE is dropped.

    Snowflake "CREATE VIEW": ``RECURSIVE`` makes a view that may refer to itself (like a
    recursive CTE); sqlglot rejects the word, so the view was quarantined (``unsupported``) and
    every read through it lost. The word right before ``VIEW`` is dropped: the view's
    definition and its reads are the same (a reference to itself is a self-loop the graph drops).
    """
    if not chunk or chunk[0].token_type != TokenType.CREATE:
        return chunk
    for i in range(1, min(len(chunk) - 1, 5)):
        word, following = chunk[i].text.upper(), chunk[i + 1].text.upper()
        if (word == "SCOPED" and following in ("TEMPORARY", "TEMP")) or (word == "RECURSIVE" and following == "VIEW"):
            return chunk[:i] + chunk[i + 1:]
    return chunk


def merge_all_by_name(chunk: list[Token], text: str) -> list[Token]:
    """Rewrite Snowflake MERGE's ``UPDATE ALL BY NAME`` / ``INSERT ALL BY NAME`` (sqlglot 30.22 rejects them).

    Snowflake, *SQL command reference*, MERGE: ``WHEN MATCHED ... THEN UPDATE ALL BY NAME``
    and ``WHEN NOT MATCHED ... THEN INSERT ALL BY NAME`` set or insert every target column
    from the source column of the same name. ``UPDATE SET *`` / ``INSERT *`` say the same
    and parse; :func:`lineage_engine.parsing.columns.merge_columns` maps them by name.

    Args:
        chunk: one statement's tokens (Snowflake tokenizer).
        text: the whole text (unused; part of the fix signature).

    Returns:
        ``chunk`` unchanged unless it is a MERGE holding such an action; else the rewritten
        tokens (new tokens carry the offsets of the words they replace).
    """
    if not chunk or chunk[0].token_type != TokenType.MERGE:
        return chunk
    out: list[Token] = []
    last = 0
    alls = [i for i, tok in enumerate(chunk) if tok.token_type == TokenType.ALL]  # rare: scan once, cheaply
    for j in alls:
        i = j - 1
        if i < last or j + 2 >= len(chunk):
            continue
        action, all_, by, name = chunk[i], chunk[j], chunk[j + 1], chunk[j + 2]
        if action.token_type not in (TokenType.UPDATE, TokenType.INSERT) or by.text.upper() != "BY" \
                or name.text.upper() != "NAME":
            continue
        out.extend(chunk[last : i + 1])
        if action.token_type == TokenType.UPDATE:
            out.append(Token(TokenType.SET, "SET", all_.line, all_.col, all_.start, all_.end))
        out.append(Token(TokenType.STAR, "*", name.line, name.col, name.start, name.end))
        last = i + 4
    if not out:
        return chunk
    out.extend(chunk[last:])
    return out


def expand_compound_assignments(chunk: list[Token], text: str) -> list[Token]:
    """Rewrite T-SQL compound assignments ``x op= e`` as ``x = x op (e)``.

    T-SQL's compound operators are ``+= -= *= /= %= &= ^= |=`` (Microsoft, *Transact-SQL
    reference*, "Compound operators"), allowed in ``SET`` of UPDATE and MERGE and for
    variables; sqlglot 30.22 rejects them. The target ``x`` is a (dotted) name or ``@var``
    right after ``SET``, ``SELECT`` or a comma, and the operator must touch its ``=`` (two
    tokens, no space between). ``e`` runs to the first comma, closing parenthesis or clause
    or statement keyword outside parentheses and CASE ... END. For lineage the columns read
    are what matters; the rewrite reads exactly ``x`` and the columns of ``e``.

    Args:
        chunk: one statement's tokens (T-SQL tokenizer).
        text: the whole text (unused; part of the fix signature).

    Returns:
        ``chunk`` unchanged when no assignment could be rewritten; else the rewritten tokens.
        New tokens carry the offsets of the operator they come from, so any parser message
        still points into ``text``.
    """
    eq = TokenType.EQ
    n = len(chunk)
    ops = [i for i in range(1, n - 2) if chunk[i].token_type in _COMPOUND_OPERATORS
           and chunk[i + 1].token_type == eq and chunk[i].end + 1 == chunk[i + 1].start]
    if not ops:
        return chunk
    out: list[Token] = []
    last = 0
    for op in ops:
        if op < last:
            continue
        start = _assignment_target(chunk, op)
        end = _expression_end(chunk, op + 2)
        if start is None or start < last or end == op + 2:
            continue
        target = chunk[start:op]
        operator, equals, tail = chunk[op], chunk[op + 1], chunk[end - 1]
        out.extend(chunk[last:op])
        out.append(equals)
        out.extend(Token(t.token_type, t.text, t.line, t.col, t.start, t.end) for t in target)
        out.append(operator)
        out.append(Token(TokenType.L_PAREN, "(", operator.line, operator.col, operator.start, operator.end))
        out.extend(chunk[op + 2 : end])
        out.append(Token(TokenType.R_PAREN, ")", tail.line, tail.col, tail.start, tail.end))
        last = end
    if not out:
        return chunk
    out.extend(chunk[last:])
    return out


def _assignment_target(chunk: list[Token], op: int) -> int | None:
    """Return where the assigned name before ``chunk[op]`` starts, or None if it is not one."""
    k = op - 1
    if not _is_name(chunk[k]):
        return None
    while k >= 2 and chunk[k - 1].token_type == TokenType.DOT and _is_name(chunk[k - 2]):
        k -= 2
    if k >= 1 and chunk[k - 1].token_type == TokenType.PARAMETER:
        k -= 1
    if k < 1 or chunk[k - 1].token_type not in _ASSIGNMENT_STARTS:
        return None
    return k


def _is_name(tok: Token) -> bool:
    # A keyword spelled like a word can name a column (``sr.Name``, ``t.Date``).
    if tok.token_type in _NAME_TYPES:
        return True
    return tok.token_type not in _LITERALS and tok.text.replace("_", "a").isalnum()


def _expression_end(chunk: list[Token], start: int) -> int:
    """Return the index just past the expression starting at ``start`` (``start``: none)."""
    depth = 0
    opening = (TokenType.L_PAREN, TokenType.CASE)
    closing = (TokenType.R_PAREN, TokenType.END)
    quoted = (TokenType.STRING, TokenType.IDENTIFIER)
    for j in range(start, len(chunk)):
        tok = chunk[j]
        kind = tok.token_type
        if kind in opening:
            depth += 1
        elif kind in closing:
            if depth == 0:
                return j
            depth -= 1
        elif depth == 0 and (
            kind == TokenType.COMMA or (j > start and kind not in quoted and tok.text.upper() in _TSQL_STOP_WORDS)
        ):
            return j
    return len(chunk)
