"""Read share and external-function statements of the query history (issue 14 §4).

Pure: sqlglot's Snowflake tokenizer and :mod:`lineage_engine.parsing.normalize`. sqlglot
parses none of these statements into an expression (they fall back to a ``Command``), so
their few words are read from its tokens. Snowflake grammar (docs.snowflake.com,
sql-reference/sql/create-share, alter-share, drop-share, create-external-function,
drop-function):

* ``CREATE [OR REPLACE] SHARE [IF NOT EXISTS] <name> …`` — a share with no accounts yet;
  ``OR REPLACE`` drops the old share (its accounts and grants) first.
* ``ALTER SHARE [IF EXISTS] <name> { ADD | REMOVE } ACCOUNTS = <acct> [, <acct> …] …``
  (adding an account already there, or removing one not there, has no effect).
* ``ALTER SHARE [IF EXISTS] <name> SET ACCOUNTS = <acct> [, …]`` replaces the whole list;
  other ``SET`` / ``UNSET`` forms (comment, tags) change no account: ``other``.
* ``DROP SHARE [IF EXISTS] <name>`` — the share, its accounts and grants are gone.
* ``CREATE [OR REPLACE] [EXTERNAL | ORGANIZATION] LISTING [IF NOT EXISTS] <name> SHARE <share>
  {AS '<manifest>' | FROM '<stage file>'} …`` (create-listing) attaches the share to a listing:
  its consumers (the manifest's ``targets``, an organization's accounts, or the Marketplace) can
  read the share without any ``ALTER SHARE … ADD ACCOUNTS``. Read as an ``add`` of the pseudo
  account ``LISTING:<name>`` (whoever the listing reaches) and of each ``org.account`` the inline
  manifest lists under ``accounts: [...]``. A draft (``PUBLISH = FALSE``) counts too, and
  ``ALTER LISTING`` / ``DROP LISTING`` (which name no share) end nothing: over-report, never under.
* ``CREATE [OR REPLACE] [SECURE] EXTERNAL FUNCTION [IF NOT EXISTS] <name>(…) …`` — calls
  send their arguments to a remote service (the API integration's endpoint). A Python / Java /
  Scala UDF created with ``EXTERNAL_ACCESS_INTEGRATIONS = (…)`` (external network access) may
  send them out too: it counts as external.
* ``DROP FUNCTION [IF EXISTS] <name>(<types>)``.

Shares and accounts are upper-case as Snowflake folds them (quoted names keep their
spelling); accounts keep their ``org.account`` form. Functions are lower-case
``database.schema.name`` ids, qualified from the session like table names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

SHARE_ACTIONS = ("create", "replace", "drop", "add", "remove", "set", "other")


@dataclass(frozen=True, slots=True)
class ShareStatement:
    """One statement about an outbound share.

    Attributes:
        action: one of :data:`SHARE_ACTIONS` (``other``: no account changes).
        share: the share's name, upper-case unless quoted.
        accounts: the accounts added, removed or set (``add`` / ``remove`` / ``set``).
    """

    action: str
    share: str
    accounts: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class FunctionStatement:
    """``CREATE … EXTERNAL FUNCTION`` (``external`` True), or a create / drop of another function.

    Attributes:
        action: ``create`` or ``drop``.
        function_id: lower-case ``database.schema.name``.
        external: an external function (its calls leave the account).
    """

    action: str
    function_id: str
    external: bool


@lru_cache(maxsize=1)
def _dialect() -> Any:
    from sqlglot.dialects.snowflake import Snowflake

    return Snowflake()


def _tokens(text: str) -> list[tuple[str, str]] | None:
    """Return ``(TOKEN_TYPE, text)`` pairs, quoted identifiers as ``IDENTIFIER``; None when untokenizable."""
    try:
        return [(t.token_type.name, t.text) for t in _dialect().tokenize(text)]
    except Exception:  # noqa: BLE001 - sqlglot raises TokenError and others on bad text
        return None


def _word(token: tuple[str, str]) -> str:
    return token[1].upper() if token[0] != "STRING" else ""


def _name(token: tuple[str, str]) -> str:
    """Return an identifier as Snowflake stores it: upper-case unless quoted."""
    return token[1] if token[0] == "IDENTIFIER" else token[1].upper()


def is_share_text(text: str) -> bool:
    """Return True when a statement may be about a share or a function (cheap pre-check)."""
    head = text.lstrip()[:160].upper()
    return head.startswith(("CREATE", "ALTER", "DROP")) and (" SHARE" in head or "FUNCTION" in head)


def parse_share(text: str) -> ShareStatement | None:
    """Return the share statement ``text`` states, or None when it is not one this grammar reads."""
    tokens = [t for t in (_tokens(text) or []) if t[0] != "SEMICOLON"]
    words = [_word(t) for t in tokens]
    if len(words) < 3:
        return None
    listing = _listing(tokens, words)
    if listing is not None:
        return listing
    i = 1
    action = ""
    if words[0] == "CREATE":
        action = "create"
        if words[1:3] == ["OR", "REPLACE"]:
            action, i = "replace", 3
    elif words[0] in ("ALTER", "DROP"):
        action = words[0].lower()
    if not action or i >= len(words) or words[i] != "SHARE":
        return None
    i += 1
    if words[i:i + 2] == ["IF", "EXISTS"]:
        i += 2
    elif words[i:i + 3] == ["IF", "NOT", "EXISTS"]:
        i += 3
    if i >= len(tokens) or tokens[i][0] not in ("VAR", "IDENTIFIER") and not words[i].isidentifier():
        return None
    share = _name(tokens[i])
    i += 1
    if action in ("create", "replace", "drop"):
        return ShareStatement(action, share)
    verb = words[i] if i < len(words) else ""
    if verb in ("ADD", "REMOVE", "SET") and words[i + 1:i + 3] == ["ACCOUNTS", "="]:
        accounts = _accounts(tokens, i + 3)
        if accounts is None:
            return None
        return ShareStatement(verb.lower(), share, accounts)
    if verb in ("SET", "UNSET"):
        return ShareStatement("other", share)
    return None


_MANIFEST_ACCOUNTS = re.compile(r"accounts\s*:\s*\[([^\]]*)\]", re.IGNORECASE)
_ACCOUNT = re.compile(r"[\"']?\s*([A-Za-z0-9_$]+(?:\.[A-Za-z0-9_$]+)?)\s*[\"']?")


def _listing(tokens: list[tuple[str, str]], words: list[str]) -> ShareStatement | None:
    """Return the ``add`` a ``CREATE … LISTING … SHARE s`` states (see the module docstring), else None."""
    i = 1
    while i < len(words) and words[i] in ("OR", "REPLACE", "EXTERNAL", "ORGANIZATION"):
        i += 1
    if words[0] != "CREATE" or i >= len(words) or words[i] != "LISTING":
        return None
    i += 1
    if words[i:i + 3] == ["IF", "NOT", "EXISTS"]:
        i += 3
    if i + 2 >= len(tokens) or words[i + 1] != "SHARE" or tokens[i + 2][0] not in ("VAR", "IDENTIFIER"):
        return None
    accounts = [f"LISTING:{_name(tokens[i])}"]
    manifest = next((t[1] for t in tokens[i + 3:] if t[0] in ("STRING", "RAW_STRING")), "")
    for found in _MANIFEST_ACCOUNTS.finditer(manifest):
        for item in found.group(1).split(","):
            match = _ACCOUNT.fullmatch(item.strip())
            if match is not None:
                accounts.append(match.group(1).upper())
    return ShareStatement("add", _name(tokens[i + 2]), tuple(dict.fromkeys(accounts)))


def _accounts(tokens: list[tuple[str, str]], i: int) -> tuple[str, ...] | None:
    """Return the comma-separated ``org.account`` names from ``i`` (None when there is none)."""
    out: list[str] = []
    parts: list[str] = []
    while i < len(tokens):
        kind, _ = tokens[i]
        if kind in ("VAR", "IDENTIFIER", "NUMBER") and not (parts and tokens[i - 1][0] != "DOT"):
            parts.append(_name(tokens[i]))
        elif kind == "DOT" and parts:
            pass
        elif kind == "COMMA" and parts:
            out.append(".".join(parts))
            parts = []
        else:
            break
        i += 1
    if parts:
        out.append(".".join(parts))
    return tuple(out) or None


def parse_function(text: str, database: str | None = None, schema: str | None = None) -> FunctionStatement | None:
    """Return the ``CREATE … FUNCTION`` / ``DROP FUNCTION`` ``text`` states, else None."""
    tokens = [t for t in (_tokens(text) or []) if t[0] != "SEMICOLON"]
    words = [_word(t) for t in tokens]
    if not words or words[0] not in ("CREATE", "DROP"):
        return None
    i = 1
    external = False
    while i < len(words) and words[i] in ("OR", "REPLACE", "SECURE", "TEMPORARY", "TEMP", "EXTERNAL"):
        external = external or words[i] == "EXTERNAL"
        i += 1
    if i >= len(words) or words[i] != "FUNCTION":
        return None
    i += 1
    while i < len(words) and words[i] in ("IF", "NOT", "EXISTS"):
        i += 1
    parts: list[tuple[str, bool]] = []
    while i < len(tokens) and tokens[i][0] != "L_PAREN":
        if tokens[i][0] != "DOT":
            parts.append((tokens[i][1], tokens[i][0] == "IDENTIFIER"))
        i += 1
    if not parts or len(parts) > 3:
        return None
    # a UDF whose handler may reach the network (Snowflake "External network access": CREATE FUNCTION
    # ... EXTERNAL_ACCESS_INTEGRATIONS = (i)) can send its arguments out like an external function
    external = external or (words[0] == "CREATE" and "EXTERNAL_ACCESS_INTEGRATIONS" in words[i:])
    from lineage_engine.parsing.normalize import NameContext, qualified_parts

    display, problem = qualified_parts(parts, NameContext(database, schema))
    if problem is not None:
        return None
    return FunctionStatement("create" if words[0] == "CREATE" else "drop", function_id(display), external)


def function_id(display: list[str]) -> str:
    """Return the id of a function named by display parts: lower-case, dot-joined (quoted parts kept)."""
    return ".".join(p if p != p.upper() else p.lower() for p in display)
