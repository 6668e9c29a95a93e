"""Snowflake data types as tag-based masking compares them (review s12 O1).

Pure: stdlib and sqlglot's tokens only. A tag-based masking policy protects a column carrying
the tag only "when the data type in the masking policy signature and the data type of the
column match" (Snowflake, "Tag-based masking policies"); "the tag can support one masking
policy for each data type" (STRING, NUMBER, TIMESTAMP_LTZ …). :func:`type_family` gives the
name two written types are compared by: Snowflake's synonyms fold together (``STRING``,
``TEXT``, ``CHAR`` are ``VARCHAR``; ``INT``, ``DECIMAL`` are ``NUMBER``; ``DOUBLE``, ``REAL``
are ``FLOAT``: Snowflake "Summary of data types"); length, precision and scale are not
compared (a masked value is fitted to the column's: Snowflake behaviour change 2024_04 #1355).
``TIMESTAMP`` and ``DATETIME`` are ``TIMESTAMP_NTZ``, the default ``TIMESTAMP_TYPE_MAPPING``.
A name not in the table gives None: not known (the caller over-reports).
"""

from __future__ import annotations

from sqlglot.tokens import Token, TokenType

_FAMILIES: dict[str, str] = {
    **dict.fromkeys(("VARCHAR", "STRING", "TEXT", "CHAR", "CHARACTER", "NCHAR", "NVARCHAR", "NVARCHAR2",
                     "CHAR VARYING", "CHARACTER VARYING", "NCHAR VARYING", "NATIONAL CHARACTER VARYING"), "VARCHAR"),
    **dict.fromkeys(("NUMBER", "DECIMAL", "DEC", "NUMERIC", "INT", "INTEGER", "BIGINT", "SMALLINT", "TINYINT",
                     "BYTEINT"), "NUMBER"),
    **dict.fromkeys(("FLOAT", "FLOAT4", "FLOAT8", "DOUBLE", "DOUBLE PRECISION", "REAL"), "FLOAT"),
    **dict.fromkeys(("TIMESTAMP", "DATETIME", "TIMESTAMP_NTZ", "TIMESTAMPNTZ", "TIMESTAMP WITHOUT TIME ZONE"),
                    "TIMESTAMP_NTZ"),
    **dict.fromkeys(("TIMESTAMP_LTZ", "TIMESTAMPLTZ", "TIMESTAMP WITH LOCAL TIME ZONE"), "TIMESTAMP_LTZ"),
    **dict.fromkeys(("TIMESTAMP_TZ", "TIMESTAMPTZ", "TIMESTAMP WITH TIME ZONE"), "TIMESTAMP_TZ"),
    **dict.fromkeys(("BINARY", "VARBINARY"), "BINARY"),
    **{name: name for name in ("BOOLEAN", "DATE", "TIME", "VARIANT", "OBJECT", "ARRAY", "MAP", "GEOGRAPHY",
                               "GEOMETRY", "VECTOR", "FILE")},
}
"""Written type name (upper case, words joined by one space) -> the family compared."""

_LONGEST = max(len(name.split()) for name in _FAMILIES)


def type_family(written: str | None) -> str | None:
    """Return the family of a written Snowflake type (``varchar(100)`` -> ``VARCHAR``,
    ``number(38,0)`` -> ``NUMBER``), None when it is not a type name known here."""
    if not written:
        return None
    words = written.split("(", 1)[0].upper().split()
    for n in range(min(len(words), _LONGEST), 0, -1):
        family = _FAMILIES.get(" ".join(words[:n]))
        if family is not None:
            return family
    return None


def read_type(tokens: list[Token], i: int) -> str | None:
    """Return the family of the type written at ``tokens[i]`` (a column definition's or a policy
    argument's type, up to its parameters), None when none known starts there."""
    words: list[str] = []
    while i < len(tokens) and len(words) < _LONGEST:
        token = tokens[i]
        if token.token_type in (TokenType.STRING, TokenType.COMMA, TokenType.L_PAREN, TokenType.R_PAREN):
            break
        words.extend(token.text.upper().split())
        i += 1
    return type_family(" ".join(words))
