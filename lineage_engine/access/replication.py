"""Database replication and failover to other accounts, read from the query history (review N5).

Pure: stdlib and :mod:`.grant_parse`'s tokenizer. Replicating a database copies every table of it to
a secondary database in another account: egress of every dataset in the database, like an outbound
share of all of it. Snowflake grammar (docs.snowflake.com, sql-reference/sql/alter-database,
create-replication-group, alter-replication-group, user-guide/database-replication-config):

* ``ALTER DATABASE [IF EXISTS] db ENABLE { REPLICATION | FAILOVER } TO ACCOUNTS a [, …] [IGNORE EDITION CHECK]``
* ``CREATE [OR REPLACE] { REPLICATION | FAILOVER } GROUP [IF NOT EXISTS] g OBJECT_TYPES = … [ALLOWED_DATABASES
  = d [, …]] … ALLOWED_ACCOUNTS = a [, …] …``
* ``ALTER { REPLICATION | FAILOVER } GROUP [IF EXISTS] g { ADD | SET } …``: ``ADD d [, …] TO ALLOWED_DATABASES``,
  ``ADD a [, …] TO ALLOWED_ACCOUNTS``, ``SET [OBJECT_TYPES = …,] [ALLOWED_DATABASES = …,] [ALLOWED_ACCOUNTS = …]``.

Each becomes a :class:`ReplicationStatement`: the databases are shared (``SELECT`` on all tables
of each) to a pseudo share named :data:`REPLICATION_SHARE` + the database (``ALTER DATABASE``) or
+ ``GROUP `` + the group, and the accounts are that share's consumers; the share machinery
(:func:`lineage_engine.access.service.share_rows`) then reports egress ``replication:…``.

Only additions are read. ``DISABLE REPLICATION``, ``REMOVE … FROM ALLOWED_…``, ``DROP … GROUP`` and a
``SET`` that leaves a database or account out end nothing: the secondary keeps what was replicated
to it (refreshes are not in the query history), so data reaching the database later is reported too
(over-report, never under). ``CREATE … GROUP … AS REPLICA OF`` (and ``CREATE DATABASE … AS REPLICA
OF``) is the secondary side: data coming in, not egress.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lineage_engine.access.grant_parse import _TOKEN, _ident, _name

REPLICATION_SHARE = "REPLICATION:"
"""Prefix of the pseudo share a replication is recorded as (a real share name cannot hold ``:`` unquoted)."""

REPLICATION_PREFIX = "replication:"
"""Id prefix of a replication destination (``replication:db``, ``replication:group:g``)."""

_HEAD = re.compile(r"^\s*(ALTER\s+DATABASE|CREATE\s+(OR\s+REPLACE\s+)?(REPLICATION|FAILOVER)\s+GROUP|"
                   r"ALTER\s+(REPLICATION|FAILOVER)\s+GROUP)\b", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class ReplicationStatement:
    """Databases replicated to accounts from this statement on.

    Attributes:
        share: the pseudo share's name (:data:`REPLICATION_SHARE` + ``DB`` or ``GROUP G``).
        databases: database ids (lower-case) newly replicated through it (may be empty: accounts only).
        accounts: consumer accounts added (upper-case ``ORG.ACCOUNT``; may be empty: databases only).
        action: ``add`` (what :func:`lineage_engine.registry.shares.record_share` applies).
    """

    share: str
    databases: tuple[str, ...]
    accounts: tuple[str, ...]
    action: str = "add"


def is_replication_text(text: str) -> bool:
    """Return True for an ALTER DATABASE or a CREATE / ALTER of a replication or failover group (cheap)."""
    return _HEAD.match(text or "") is not None


def destination_of(share: str) -> str | None:
    """Return the egress id of a replication pseudo share (``replication:db``), None for a real share."""
    if not share.startswith(REPLICATION_SHARE):
        return None
    rest = share[len(REPLICATION_SHARE):]
    return REPLICATION_PREFIX + (f"group:{rest[6:].lower()}" if rest.startswith("GROUP ") else rest.lower())


def _names(tokens: list[str], up: list[str], i: int) -> tuple[list[str], int]:
    """Read ``name [, name …]`` from ``i``; return the names (as written) and the index after them."""
    out: list[str] = []
    while i < len(tokens) and up[i] not in ("=", ",", "TO", "IGNORE"):
        out.append(tokens[i])
        i += 1
        if i < len(tokens) and up[i] == ",":
            i += 1
        else:
            break
    return out, i


def _assigned(tokens: list[str], up: list[str], key: str) -> list[str]:
    """Return the names after ``KEY =`` (empty when the key is absent)."""
    if key not in up:
        return []
    i = up.index(key) + 1
    if i < len(up) and up[i] == "=":
        i += 1
    return _names(tokens, up, i)[0]


def parse_replication(text: str) -> ReplicationStatement | None:
    """Return the replication a statement enables, or None (not one, or one that only ends or reads)."""
    if not is_replication_text(text):
        return None
    tokens = [t for t in _TOKEN.findall(text.strip()) if t != ";"]
    up = [t.upper() for t in tokens]
    if "REPLICA" in up:  # CREATE … AS REPLICA OF: the secondary side
        return None
    if up[:2] == ["ALTER", "DATABASE"]:
        i = 4 if up[2:4] == ["IF", "EXISTS"] else 2
        if i + 4 >= len(up) or up[i + 1] != "ENABLE" or up[i + 2] not in ("REPLICATION", "FAILOVER") \
                or up[i + 3:i + 5] != ["TO", "ACCOUNTS"]:
            return None
        database = _name(tokens[i], None, None, 1)
        accounts, _ = _names(tokens, up, i + 5)
        if not database or not accounts:
            return None
        return ReplicationStatement(REPLICATION_SHARE + database.upper(), (database,),
                                    tuple(_ident(a) for a in accounts))
    i = up.index("GROUP") + 1
    if up[i:i + 3] == ["IF", "NOT", "EXISTS"]:
        i += 3
    elif up[i:i + 2] == ["IF", "EXISTS"]:
        i += 2
    if i >= len(tokens):
        return None
    share = f"{REPLICATION_SHARE}GROUP {_ident(tokens[i])}"
    databases = _assigned(tokens, up, "ALLOWED_DATABASES")
    accounts = _assigned(tokens, up, "ALLOWED_ACCOUNTS")
    if up[0] == "ALTER" and i + 1 < len(up) and up[i + 1] == "ADD":
        names, j = _names(tokens, up, i + 2)
        target = up[j + 1] if j + 1 < len(up) and up[j] == "TO" else ""
        if target == "ALLOWED_DATABASES":
            databases = names
        elif target == "ALLOWED_ACCOUNTS":
            accounts = names
    found_databases = tuple(d for d in (_name(n, None, None, 1) for n in databases) if d)
    if not found_databases and not accounts:
        return None
    return ReplicationStatement(share, found_databases, tuple(_ident(a) for a in accounts))
