"""Ownership facts of the query history: who owns a table or view, and when (review N4).

Pure: stdlib and :mod:`.grant_parse`. Snowflake (docs.snowflake.com, user-guide/security-access-
control-overview, sql-reference/sql/grant-ownership, drop-role):

* the role that creates an object owns it (``OWNERSHIP``: full control, ``SELECT`` included);
  ``CREATE OR REPLACE`` makes a new object, owned by the role that ran it; ``CREATE … IF NOT
  EXISTS`` and ``CREATE OR ALTER`` keep the owner of an existing object (grants are preserved);
  a ``FUTURE`` ownership grant on the schema (else the database) makes its grantee the owner of
  objects created there instead (applied by the registry, which knows the grants);
* ``GRANT OWNERSHIP ON … TO ROLE r [REVOKE | COPY CURRENT GRANTS]`` transfers it (read by
  :func:`.grant_parse.parse_grant`; the previous owner's OWNERSHIP ends);
* ``DROP ROLE r``: every grant to ``r`` and of ``r`` ends, and the objects ``r`` owned pass to
  the role that ran the DROP.

Temporary tables and views are not datasets (their session ends them): no fact.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lineage_engine.access.grant_parse import _TOKEN, _ident, _name

OWNERSHIP_ACTIONS = ("create", "create_keep", "drop_role")


@dataclass(frozen=True, slots=True)
class OwnershipStatement:
    """A statement that sets or ends ownership.

    Attributes:
        action: ``create`` (the role owns the object from now on), ``create_keep`` (``IF NOT
            EXISTS`` / ``CREATE OR ALTER``: the role owns it unless someone already does), or
            ``drop_role`` (``object_id`` is the dropped role; its grants end and what it owned
            passes to ``role``).
        object_id: the dataset id (lower-case), or the dropped role (upper-case).
        role: the role that ran the statement (upper-case); "" when unknown.
    """

    action: str
    object_id: str
    role: str


_HEAD = re.compile(r"^\s*(CREATE|DROP)\b", re.IGNORECASE)
_MODIFIERS = frozenset({"LOCAL", "GLOBAL", "TRANSIENT", "SECURE", "RECURSIVE", "MATERIALIZED", "DYNAMIC",
                        "EXTERNAL", "ICEBERG", "HYBRID", "EVENT"})
_TEMPORARY = frozenset({"TEMP", "TEMPORARY", "VOLATILE", "SCOPED"})
_KINDS = frozenset({"TABLE", "VIEW"})


def is_ownership_text(text: str) -> bool:
    """Return True when a statement may create a table or view or drop a role (cheap pre-check)."""
    return _HEAD.match(text or "") is not None


def parse_ownership(text: str, role: str | None, database: str | None = None,
                    schema: str | None = None) -> OwnershipStatement | None:
    """Return the ownership a statement sets, or None (not a CREATE TABLE | VIEW or DROP ROLE, or temporary).

    ``role``: the row's ROLE_NAME (a creation by an unknown role sets nothing; a DROP ROLE by
    one still ends the dropped role's grants).
    """
    if not is_ownership_text(text):
        return None
    head = text[:2000].strip()
    return _ownership(_tokens(head, _HEAD_TOKENS), role, database, schema, head)


_HEAD_TOKENS = 48
"""Tokens read first: the name of a table or view comes within its first dozen (``CREATE OR REPLACE
… TABLE IF NOT EXISTS name``); tokenizing a whole 2,000-character head for them cost about 0.3 s of
the solana crawl (issue 13). A statement that needs more is read again whole (:func:`_ownership`)."""


def _tokens(text: str, limit: int | None) -> list[str]:
    """Return the first ``limit`` tokens of ``text`` (all for None), ``;`` left out."""
    tokens: list[str] = []
    for match in _TOKEN.finditer(text):
        if match.group() != ";":
            tokens.append(match.group())
            if limit is not None and len(tokens) >= limit:
                break
    return tokens


def _ownership(tokens: list[str], role: str | None, database: str | None, schema: str | None,
               text: str | None = None) -> OwnershipStatement | None:
    """Read :func:`parse_ownership`'s statement from ``tokens``, the first :data:`_HEAD_TOKENS` of
    ``text``; when they end before the name, from every token of ``text`` (``text``: None then)."""
    up = [t.upper() for t in tokens]
    runner = _ident(role) if role else ""
    if up[0] == "DROP":
        if up[1:2] != ["ROLE"]:
            return None
        i = 4 if up[2:4] == ["IF", "EXISTS"] else 2
        return OwnershipStatement("drop_role", _ident(tokens[i]), runner) if i < len(tokens) else None
    if not runner:
        return None
    i, keep = 1, False
    if up[i:i + 2] == ["OR", "REPLACE"]:
        i += 2
    elif up[i:i + 2] == ["OR", "ALTER"]:
        i, keep = i + 2, True
    while i < len(up) and (up[i] in _MODIFIERS or up[i] in _TEMPORARY):
        if up[i] in _TEMPORARY:
            return None
        i += 1
    if text is not None and len(tokens) >= _HEAD_TOKENS and i + 4 >= len(tokens):
        return _ownership(_tokens(text, None), role, database, schema)  # cut before the name: read it whole
    if i >= len(up) or up[i] not in _KINDS:
        return None
    i += 1
    if up[i:i + 3] == ["IF", "NOT", "EXISTS"]:
        i, keep = i + 3, True
    if i >= len(tokens):
        return None
    name = _name(tokens[i], database, schema, 3)
    if not name or name.count(".") < 2 and '"' not in name:
        return None
    return OwnershipStatement("create_keep" if keep else "create", name, runner)
