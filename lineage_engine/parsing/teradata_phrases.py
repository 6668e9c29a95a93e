"""Drop Teradata data attribute phrases from select lists, before sqlglot 30.22 parses them.

Teradata lets an expression carry parenthesised data attributes, comma-separated and
chainable: ``DOB (TITLE 'Birthdate')``, ``price (FORMAT '$$9.99')``, ``x (NAMED y)``,
``amount (DECIMAL(18,2), FORMAT '9(18)') (CHAR(18))``, ``name (NOT CASESPECIFIC)``. A data
type there is Teradata's conversion syntax, ``expr (type)`` = ``CAST(expr AS type)``;
``TITLE`` and ``FORMAT`` change only how a client shows the value; ``NAMED`` renames the
column like ``AS`` (Teradata, *SQL Data Types and Literals*, "Data Type Attributes" and
"Data Type Conversions"; Huawei DSC's Teradata migration guide shows the same forms).
None of them changes which columns are read, and the column keeps its own name unless
``NAMED`` (a conversion of ``A.Standard_Price`` is still ``Standard_Price``).

sqlglot 30.22's Teradata parser rejects ``TITLE``, ``NAMED`` and every combined group, and
handles a single ``(FORMAT '...')`` but names the output column after the whole phrase.
Worse, ``DOB (CHAR(10))`` and ``x (INTEGER)`` parse silently as calls of a function ``DOB``
/ ``x``, losing or inventing column reads. Hence a token rewrite that runs before every
Teradata parse (not only after a failure): each phrase group is dropped, ``NAMED n``
becomes ``AS n`` unless an explicit alias follows. The conversion to a type is dropped
too; this project reports ``CAST`` as an identity transform, so the edge is the same.

A group is only taken for a phrase when all of these hold, so function calls, column lists
and subqueries stay untouched:

* it is inside a select list (between a ``SELECT``/``SEL`` and its ``FROM`` or next
  clause, at any nesting inside it);
* it follows the end of an operand: a name, ``)``, a literal, ``NULL``, ``END`` or a
  ``CURRENT_*`` value;
* every comma-separated element is made only of phrase words: ``TITLE`` text, ``FORMAT``
  string, ``NAMED`` name, ``[NOT] CASESPECIFIC|CS``, ``UPPERCASE|UC``, ``CHARACTER SET``
  name, or a Teradata data type with its precision and qualifiers;
* a group of data types alone does not follow the name of a function sqlglot knows
  (``ADD_MONTHS (DATE, 1)`` is a call: ``1`` is no phrase word anyway).

Known residue: a user-defined function sqlglot does not know, called with only type-named
arguments (``my_udf (DATE)``, Teradata's current date), is read as a conversion.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlglot.tokens import Token, TokenType

_OPERAND_ENDS = frozenset(
    {TokenType.VAR, TokenType.IDENTIFIER, TokenType.R_PAREN, TokenType.STRING, TokenType.NUMBER, TokenType.NULL,
     TokenType.END, TokenType.CURRENT_DATE, TokenType.CURRENT_TIME, TokenType.CURRENT_TIMESTAMP}
)
_SELECT_ENDS = frozenset(
    {TokenType.FROM, TokenType.INTO, TokenType.WHERE, TokenType.GROUP_BY, TokenType.ORDER_BY, TokenType.HAVING,
     TokenType.QUALIFY, TokenType.UNION, TokenType.EXCEPT, TokenType.INTERSECT}
)
_NOT_WORDS = frozenset({TokenType.STRING, TokenType.IDENTIFIER, TokenType.NUMBER})
_TYPE_WORDS = frozenset(
    {"BYTEINT", "SMALLINT", "INTEGER", "INT", "BIGINT", "DECIMAL", "DEC", "NUMERIC", "NUMBER", "FLOAT", "REAL",
     "DOUBLE", "DOUBLE PRECISION", "DATE", "TIME", "TIMESTAMP", "INTERVAL", "PERIOD", "CHAR", "CHARACTER",
     "CHAR VARYING", "CHARACTER VARYING", "VARCHAR", "LONG", "CLOB", "BYTE", "VARBYTE", "BLOB", "GRAPHIC",
     "VARGRAPHIC", "JSON", "XML"}
)
_TYPE_TAIL = frozenset({"VARYING", "PRECISION", "WITH", "ZONE", "LOCAL", "YEAR", "MONTH", "DAY", "HOUR", "MINUTE",
                        "SECOND", "TO"})
_CASE_WORDS = frozenset({"CASESPECIFIC", "CS"})
_FLAG_WORDS = _CASE_WORDS | {"UPPERCASE", "UC"}
_NAMES = (TokenType.VAR, TokenType.IDENTIFIER)
_TYPE_ARGUMENTS = (TokenType.NUMBER, TokenType.COMMA)


def drop_attribute_phrases(chunk: list[Token], *, functions: Collection[str]) -> list[Token]:
    """Return the statement's tokens without its select lists' data attribute phrases.

    Args:
        chunk: one statement's tokens (Teradata tokenizer).
        functions: upper-case names of functions the parser knows (a group of data types
            after one of them is its argument list, not a conversion).

    Returns:
        ``chunk`` itself when it holds no phrase; else a new list where each phrase group
        is gone and a chain's ``NAMED n`` became ``AS n`` (unless ``AS`` or an alias
        follows the chain). Never raises.
    """
    n = len(chunk)
    edits: list[tuple[int, int, Token | None]] = []  # (open paren, close paren, NAMED name)
    selecting = [False]  # per parenthesis depth: inside a select list?
    i = 0
    while i < n:
        kind = chunk[i].token_type
        if kind == TokenType.L_PAREN:
            if selecting[-1] and i > 0 and chunk[i - 1].token_type in _OPERAND_ENDS:
                phrase = _phrase(chunk, i, functions)
                if phrase is not None:
                    edits.append((i, phrase[0], phrase[1]))
                    i = phrase[0] + 1
                    continue
            selecting.append(selecting[-1])
        elif kind == TokenType.R_PAREN:
            if len(selecting) > 1:
                selecting.pop()
        elif kind == TokenType.SELECT:
            selecting[-1] = True
        elif kind in _SELECT_ENDS:
            selecting[-1] = False
        i += 1
    return _apply(chunk, edits) if edits else chunk


def _apply(chunk: list[Token], edits: list[tuple[int, int, Token | None]]) -> list[Token]:
    out: list[Token] = []
    last = 0
    k = 0
    while k < len(edits):
        start, end, alias = edits[k]
        k += 1
        while k < len(edits) and edits[k][0] == end + 1:  # a chain: x (FORMAT 'a') (NAMED b)
            end, alias = edits[k][1], edits[k][2] or alias
            k += 1
        out.extend(chunk[last:start])
        following = chunk[end + 1].token_type if end + 1 < len(chunk) else None
        if alias is not None and following not in (TokenType.ALIAS, *_NAMES):
            paren = chunk[start]
            out.append(Token(TokenType.ALIAS, "AS", paren.line, paren.col, paren.start, paren.end))
            out.append(alias)
        last = end + 1
    out.extend(chunk[last:])
    return out


def _word(tok: Token) -> str:
    return "" if tok.token_type in _NOT_WORDS else tok.text.upper()


def _phrase(chunk: list[Token], open_at: int, functions: Collection[str]) -> tuple[int, Token | None] | None:
    """Return ``(index of the closing paren, NAMED name or None)`` if a phrase group opens here."""
    n = len(chunk)
    j = open_at + 1
    alias: Token | None = None
    types_only = True
    while j + 1 < n:  # one phrase word per turn; the group needs its ")" after the last
        tok, nxt = chunk[j], chunk[j + 1]
        word = _word(tok)
        if word == "CHARACTER" and nxt.token_type == TokenType.SET:
            if j + 2 >= n or chunk[j + 2].token_type not in _NAMES:
                return None
            j += 3
            types_only = False
        elif word in _TYPE_WORDS:
            end = _type_end(chunk, j + 1)
            if end is None:
                return None
            j = end
        else:
            if word == "TITLE" and nxt.token_type in (TokenType.STRING, *_NAMES):
                j += 2
            elif tok.token_type == TokenType.FORMAT and nxt.token_type == TokenType.STRING:
                j += 2
            elif word == "NAMED" and nxt.token_type in _NAMES:
                alias = nxt
                j += 2
            elif word == "NOT" and _word(nxt) in _CASE_WORDS:
                j += 2
            elif word in _FLAG_WORDS:
                j += 1
            else:
                return None
            types_only = False
        if j >= n:
            return None
        kind = chunk[j].token_type
        if kind == TokenType.R_PAREN:
            break
        if kind == TokenType.COMMA:
            j += 1
    else:
        return None
    owner = chunk[open_at - 1]
    if types_only and owner.token_type == TokenType.VAR and owner.text.upper() in functions:
        return None
    return j, alias


def _type_end(chunk: list[Token], j: int) -> int | None:
    """Return the index past a data type's qualifiers starting at ``j``; None if malformed."""
    n = len(chunk)
    while j < n:
        tok = chunk[j]
        word = _word(tok)
        if tok.token_type == TokenType.L_PAREN:  # CHAR(10), DECIMAL(18,2), PERIOD(DATE)
            k = j + 1
            while k < n and (chunk[k].token_type in _TYPE_ARGUMENTS or _word(chunk[k]) in _TYPE_WORDS):
                k += 1
            if k == j + 1 or k >= n or chunk[k].token_type != TokenType.R_PAREN:
                return None
            j = k + 1
        elif word == "CHARACTER" and j + 1 < n and chunk[j + 1].token_type == TokenType.SET:
            return j
        elif word in _TYPE_WORDS or word in _TYPE_TAIL:
            j += 1
        else:
            return j
    return j
