"""Snowflake data types as tag-based masking compares them (review s12 O1).

Pure: stdlib and sqlglot's tokens only. A tag-based masking policy protects a column carrying
the tag only "when the data type in the masking policy signature and the data type of the
column match" (Snowflake, "Tag-based masking policies"); "the tag can support one masking
policy for each data type" (STRING, NUMBER, TIMESTAMP_LTZ …). :func:`type_family` gives the
name two written types are compared by: Snowflake's synonyms fold together (``STRING``,
``TEXT``, ``CHAR`` are ``VARCHAR``; ``INT``, ``DECIMAL`` are ``NUMBER``; ``DOUBLE``, ``REAL``
are ``FLOAT``: Snowflake "Summary of data types"); length, precision and scale are not
compared (a masked value is fitted to the column's: Snowflake behaviour change 2024_04 #1355).
A name not in the table gives None: not known (the caller over-reports).

``TIMESTAMP`` (and its synonym ``DATETIME``) is an alias: the ``TIMESTAMP_TYPE_MAPPING``
parameter of the session that runs the statement decides whether it is ``TIMESTAMP_NTZ`` (the
default), ``TIMESTAMP_LTZ`` or ``TIMESTAMP_TZ`` (Snowflake "Date & time data types" and
"Parameters": TIMESTAMP_TYPE_MAPPING, settable for the account, a user and a session). A driver
may set it at login, where the query history does not show it, so the alias has a family only
when the caller knows the mapping (``timestamp_mapping``, ``compliance.timestamp_type_mapping``);
taken as ``TIMESTAMP_NTZ`` whatever the mapping, a ``TIMESTAMP_NTZ`` tag policy was taken to mask
a ``TIMESTAMP_LTZ`` column (review s14 R8, a false negative).
"""

from __future__ import annotations

from sqlglot.tokens import Token, TokenType

_FAMILIES: dict[str, str] = {
    **dict.fromkeys(("VARCHAR", "STRING", "TEXT", "CHAR", "CHARACTER", "NCHAR", "NVARCHAR", "NVARCHAR2",
                     "CHAR VARYING", "CHARACTER VARYING", "NCHAR VARYING", "NATIONAL CHARACTER VARYING"), "VARCHAR"),
    **dict.fromkeys(("NUMBER", "DECIMAL", "DEC", "NUMERIC", "INT", "INTEGER", "BIGINT", "SMALLINT", "TINYINT",
                     "BYTEINT"), "NUMBER"),
    **dict.fromkeys(("FLOAT", "FLOAT4", "FLOAT8", "DOUBLE", "DOUBLE PRECISION", "REAL"), "FLOAT"),
    **dict.fromkeys(("TIMESTAMP", "DATETIME"), "TIMESTAMP"),  # the alias (TIMESTAMP_TYPE_MAPPING decides)
    **dict.fromkeys(("TIMESTAMP_NTZ", "TIMESTAMPNTZ", "TIMESTAMP WITHOUT TIME ZONE"), "TIMESTAMP_NTZ"),
    **dict.fromkeys(("TIMESTAMP_LTZ", "TIMESTAMPLTZ", "TIMESTAMP WITH LOCAL TIME ZONE"), "TIMESTAMP_LTZ"),
    **dict.fromkeys(("TIMESTAMP_TZ", "TIMESTAMPTZ", "TIMESTAMP WITH TIME ZONE"), "TIMESTAMP_TZ"),
    **dict.fromkeys(("BINARY", "VARBINARY"), "BINARY"),
    **{name: name for name in ("BOOLEAN", "DATE", "TIME", "VARIANT", "OBJECT", "ARRAY", "MAP", "GEOGRAPHY",
                               "GEOMETRY", "VECTOR", "FILE", "DECFLOAT")},
}
"""Written type name (upper case, words joined by one space) -> the family compared."""

_LONGEST = max(len(name.split()) for name in _FAMILIES)

_ALIAS = "TIMESTAMP"
"""The family :data:`_FAMILIES` gives the ``TIMESTAMP`` alias: resolved by the mapping, never returned."""

TIMESTAMP_VARIANTS = ("TIMESTAMP_NTZ", "TIMESTAMP_LTZ", "TIMESTAMP_TZ")
"""The values of ``TIMESTAMP_TYPE_MAPPING`` (Snowflake "Parameters"), each its own family."""

NOT_KNOWN = "?"
"""The family :func:`read_type` gives a type that is written but not known: a ``TIMESTAMP`` whose
mapping is not known (a fact of this value says "stated, but not known": no copy may fill it)."""


def _lookup(written: str) -> str | None:
    words = written.split("(", 1)[0].upper().split()
    for n in range(min(len(words), _LONGEST), 0, -1):
        family = _FAMILIES.get(" ".join(words[:n]))
        if family is not None:
            return family
    return None


def type_family(written: str | None, timestamp_mapping: str | None = None) -> str | None:
    """Return the family of a written Snowflake type (``varchar(100)`` -> ``VARCHAR``,
    ``number(38,0)`` -> ``NUMBER``), None when it is not a type name known here.

    ``timestamp_mapping``: the ``TIMESTAMP_TYPE_MAPPING`` in force (one of
    :data:`TIMESTAMP_VARIANTS`), the family of ``TIMESTAMP`` and ``DATETIME``; None: not known, and
    so is their family (None)."""
    if not written:
        return None
    family = _lookup(written)
    return _resolved(family, timestamp_mapping)


def _resolved(family: str | None, timestamp_mapping: str | None) -> str | None:
    if family != _ALIAS:
        return family
    mapping = (timestamp_mapping or "").strip().upper()
    return mapping if mapping in TIMESTAMP_VARIANTS else None


def read_type(tokens: list[Token], i: int, timestamp_mapping: str | None = None) -> str | None:
    """Return the family of the type written at ``tokens[i]`` (a column definition's or a policy
    argument's type, up to its parameters), None when none known starts there; :data:`NOT_KNOWN`
    for ``TIMESTAMP``/``DATETIME`` when ``timestamp_mapping`` (as :func:`type_family`) is None."""
    words: list[str] = []
    while i < len(tokens) and len(words) < _LONGEST:
        token = tokens[i]
        if token.token_type in (TokenType.STRING, TokenType.COMMA, TokenType.L_PAREN, TokenType.R_PAREN):
            break
        words.extend(token.text.upper().split())
        i += 1
    family = _lookup(" ".join(words)) if words else None
    if family == _ALIAS:
        return _resolved(family, timestamp_mapping) or NOT_KNOWN
    return family
