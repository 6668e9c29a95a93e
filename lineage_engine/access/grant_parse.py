"""Read GRANT / REVOKE statements of the query history as dated grant facts (issue 14 §3).

Pure: stdlib and :mod:`lineage_engine.model` (names split like the parser's). Snowflake
grammar (docs.snowflake.com, sql-reference/sql/grant-privilege, grant-role, revoke-*):

* ``GRANT priv [, priv …] ON <kind> <name> TO [ROLE | DATABASE ROLE | USER | SHARE | APPLICATION ROLE] <grantee>``
* ``GRANT priv ON ALL | FUTURE <kinds> IN SCHEMA | DATABASE <name> TO …``
* ``GRANT [DATABASE] ROLE <role> TO ROLE | USER <grantee>`` (role hierarchy)
* ``REVOKE [GRANT OPTION FOR] … FROM …`` with the same shapes.

Privilege names are kept as written (upper-cased), also unknown ones. A statement this
grammar does not cover gives ``None`` and the caller quarantines it. Object names are
lower-case dataset ids (qualified with the session's database and schema); roles, users
and shares are upper-case as Snowflake folds them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lineage_engine.model import join_id
from lineage_engine.parsing.dotted_names import split_dotted_name

GRANTEE_KINDS = ("ROLE", "USER", "SHARE", "DATABASE ROLE", "APPLICATION ROLE")
_PART = r'(?:"(?:[^"]|"")*"|[A-Za-z_$@][\w$@]*)'
_TOKEN = re.compile(rf'{_PART}(?:\.(?:"(?:[^"]|"")*"|[\w$]+))*|,|;|\S')
"""A word or dotted name (each part bare or double-quoted: ``"DB"."My Schema".t`` is one token), a comma, ``;``."""


@dataclass(frozen=True, slots=True)
class GrantStatement:
    """One parsed GRANT or REVOKE.

    Attributes:
        action: ``grant`` or ``revoke``.
        privileges: upper-case privilege names as written (``SELECT``, ``OWNERSHIP``…);
            ``("USAGE",)`` for a role grant (Snowflake records role grants so).
        on_kind: object kind (``TABLE``, ``VIEW``, ``SCHEMA``, ``DATABASE``, ``ROLE`` …).
        scope: ``object``, ``all`` (ALL … IN) or ``future`` (FUTURE … IN).
        object_id: dataset id (lower-case), schema/database id, or role name (upper-case).
        grantee_kind: one of :data:`GRANTEE_KINDS`.
        grantee: upper-case name.
        current_grants: ``revoke`` / ``copy`` for ``GRANT OWNERSHIP … {REVOKE | COPY} CURRENT
            GRANTS`` (the other grants on the object end / stay); "" otherwise.
    """

    action: str
    privileges: tuple[str, ...]
    on_kind: str
    scope: str
    object_id: str
    grantee_kind: str
    grantee: str
    current_grants: str = ""


def is_grant_text(text: str) -> bool:
    """Return True when a statement text starts with GRANT or REVOKE (cheap pre-check)."""
    head = text.lstrip()[:6].upper()
    return head.startswith("GRANT") or head == "REVOKE"


def _name(text: str, database: str | None, schema: str | None, parts_wanted: int) -> str | None:
    """Return a lower-case id of ``parts_wanted`` parts, missing leading parts from the session.

    Quoted parts are lower-cased like the parser's ids (``"DB"."RAW"."T"`` is ``db.raw.t``)
    and a part holding a dot stays quoted (the id rule of :mod:`lineage_engine.model`).
    """
    parts = split_dotted_name(text)
    if not parts:
        return None
    names = [p.lower() for p, _ in parts]  # quoted or not, ids are lower-case (parsing.normalize)
    need = parts_wanted - len(names)
    context = [(database or "").lower(), (schema or "").lower()][:max(0, parts_wanted - 1)]
    if need > 0 and all(context[:need]):
        names = context[:need] + names
    return join_id(names)


def _ident(text: str) -> str:
    """Return a role, user or share name as Snowflake folds it: unquoted parts upper-case (``db.r`` -> ``DB.R``)."""
    parts = split_dotted_name(text) if '"' in text else None
    if not parts:
        return text.upper()
    return ".".join(p if quoted else p.upper() for p, quoted in parts)


def parse_grant(text: str, database: str | None = None, schema: str | None = None) -> GrantStatement | None:
    """Return the grant one statement text states, or None when it is not one this grammar reads."""
    tokens = [t for t in _TOKEN.findall(text.strip()) if t != ";"]
    up = [t.upper() for t in tokens]
    if not up or up[0] not in ("GRANT", "REVOKE"):
        return None
    action = up[0].lower()
    i = 1
    if action == "revoke" and up[i:i + 3] == ["GRANT", "OPTION", "FOR"]:
        i += 3
    to_word = "TO" if action == "grant" else "FROM"
    if up[i] in ("ROLE", "DATABASE") and (up[i] == "ROLE" or up[i + 1:i + 2] == ["ROLE"]):
        i += 1 if up[i] == "ROLE" else 2
        role = _ident(tokens[i]) if i < len(tokens) else ""
        i += 1
        if not role or i >= len(up) or up[i] != to_word:
            return None
        return _grantee(action, ("USAGE",), "ROLE", "object", role, tokens, up, i + 1)
    privileges: list[str] = []
    while i < len(up) and up[i] != "ON":
        if up[i] != ",":
            privileges.append(up[i])
        i += 1
    if not privileges or i >= len(up):
        return None
    privileges = [p for p in privileges if p != "PRIVILEGES"] or ["ALL"]
    i += 1  # ON
    scope = "object"
    if up[i] in ("ALL", "FUTURE"):
        scope = up[i].lower()
        # ``ON ALL|FUTURE <kind> IN SCHEMA|DATABASE x``: the kind may be several words (``DYNAMIC TABLES``,
        # ``MATERIALIZED VIEWS``, ``EXTERNAL TABLES``, ``ICEBERG TABLES``): up to three before IN
        at = next((j for j in range(i + 2, min(i + 5, len(up))) if up[j] == "IN"), None)
        if at is None or at + 1 >= len(up):
            return None
        kind = " ".join([*up[i + 1:at - 1], up[at - 1].rstrip("S")])
        container = up[at + 1]
        name = _name(tokens[at + 2], database, None, 2 if container == "SCHEMA" else 1) if at + 2 < len(up) else None
        i = at + 3
    else:
        kind_words = []
        while i < len(up) and up[i] in ("TABLE", "VIEW", "SCHEMA", "DATABASE", "MATERIALIZED", "EXTERNAL", "DYNAMIC",
                                         "WAREHOUSE", "STAGE", "FUNCTION", "INTEGRATION", "SECURE", "ICEBERG",
                                         "EVENT", "STREAM", "PROCEDURE", "TASK", "ACCOUNT", "HYBRID"):
            kind_words.append(up[i])
            i += 1
        kind = " ".join(kind_words) or "TABLE"
        if kind == "ACCOUNT":
            name = "account"
        elif i >= len(up):
            return None
        else:
            wanted = {"DATABASE": 1, "SCHEMA": 2, "WAREHOUSE": 1}.get(kind, 3)
            name = _name(tokens[i], database, schema, wanted) if wanted != 1 or kind != "WAREHOUSE" else tokens[i].lower()
            i += 1
    if not name or i >= len(up) or up[i] != to_word:
        return None
    return _grantee(action, tuple(privileges), kind, scope, name, tokens, up, i + 1)


def _grantee(action: str, privileges: tuple[str, ...], kind: str, scope: str, object_id: str,
             tokens: list[str], up: list[str], i: int) -> GrantStatement | None:
    grantee_kind = "ROLE"
    if i < len(up) and up[i] in ("ROLE", "USER", "SHARE"):
        grantee_kind = up[i]
        i += 1
    elif up[i:i + 2] in (["DATABASE", "ROLE"], ["APPLICATION", "ROLE"]):
        grantee_kind = f"{up[i]} ROLE"
        i += 2
    if i >= len(tokens):
        return None
    tail = up[i + 1:i + 4]
    current = tail[0].lower() if tail[1:] == ["CURRENT", "GRANTS"] and tail[0] in ("REVOKE", "COPY") else ""
    return GrantStatement(action, privileges, kind, scope, object_id, grantee_kind, _ident(tokens[i]), current)
