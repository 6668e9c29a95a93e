"""Grants from ACCOUNT_USAGE (``telemetry.sync_grants``, issue 14 §3).

``GRANTS_TO_ROLES`` (PRIVILEGE, GRANTED_ON, NAME, TABLE_CATALOG, TABLE_SCHEMA, GRANTED_TO,
GRANTEE_NAME, CREATED_ON, DELETED_ON) and ``GRANTS_TO_USERS`` (ROLE, GRANTEE_NAME,
CREATED_ON, DELETED_ON): docs.snowflake.com, sql-reference/account-usage/grants_to_roles and
grants_to_users. Both keep revoked grants with DELETED_ON, so a sync gives dated facts.
Privilege names are kept as written; rows for objects never seen in the graph are kept. The
role needs SNOWFLAKE.GOVERNANCE_VIEWER (or IMPORTED PRIVILEGES ON DATABASE SNOWFLAKE).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from lineage_engine.registry.grants import GrantFact
from lineage_engine.sources.snowflake import load_sql
from lineage_engine.sources.snowflake_connection import SnowflakeConnectionConfig, session_cursor

GRANTS_GRANT = ("the database role SNOWFLAKE.GOVERNANCE_VIEWER or IMPORTED PRIVILEGES ON DATABASE SNOWFLAKE "
                "(or turn telemetry.sync_grants off)")
_DATASET_KINDS = {"TABLE", "VIEW", "MATERIALIZED_VIEW", "MATERIALIZED VIEW", "EXTERNAL_TABLE", "EXTERNAL TABLE",
                  "DYNAMIC_TABLE", "DYNAMIC TABLE", "EVENT_TABLE", "ICEBERG_TABLE"}
_ROLE_GRANTEES = {"ROLE": "ROLE", "ACCOUNT ROLE": "ROLE", "DATABASE_ROLE": "DATABASE ROLE",
                  "APPLICATION_ROLE": "APPLICATION ROLE", "USER": "USER", "SHARE": "SHARE"}


def _utc(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def _lower(value: Any) -> str:
    return str(value).lower() if value is not None else ""


def role_fact(privilege: Any, granted_on: Any, name: Any, catalog: Any, schema: Any, granted_to: Any,
              grantee: Any, created_on: Any, deleted_on: Any) -> GrantFact | None:
    """Return the grant fact of one GRANTS_TO_ROLES row (None without a creation time or name)."""
    start = _utc(created_on)
    if start is None or name is None or grantee is None:
        return None
    kind = str(granted_on or "").upper()
    if kind in _DATASET_KINDS:
        object_id = ".".join(p for p in (_lower(catalog), _lower(schema), _lower(name)) if p)
    elif kind == "SCHEMA":
        object_id = ".".join(p for p in (_lower(catalog), _lower(name)) if p)
    elif kind in ("ROLE", "DATABASE_ROLE"):
        object_id = str(name).upper()
        kind = "ROLE"
    else:
        object_id = _lower(name)
    grantee_kind = _ROLE_GRANTEES.get(str(granted_to or "ROLE").upper(), str(granted_to or "ROLE").upper())
    return GrantFact(privilege=str(privilege or "").upper(), on_kind=kind.replace("_", " "), scope="object",
                     object_id=object_id, grantee_kind=grantee_kind, grantee=str(grantee).upper(),
                     valid_from=start, valid_to=_utc(deleted_on), origin="grants_to_roles")


def fetch_grants(config: SnowflakeConnectionConfig, *, connect_fn: Any = None) -> list[GrantFact]:
    """Read both views in one session.

    Raises:
        SourceError: terminal failure (credentials, missing grant: the message says which).
        TransientSourceError: network, timeout or expired session.
    """
    out: list[GrantFact] = []
    with session_cursor(config, "read ACCOUNT_USAGE.GRANTS_TO_ROLES and GRANTS_TO_USERS", grant=GRANTS_GRANT, connect_fn=connect_fn) as cursor:
        cursor.execute(load_sql("grants_to_roles"))
        for row in cursor.fetchall():
            fact = role_fact(*row)
            if fact is not None:
                out.append(fact)
        cursor.execute(load_sql("grants_to_users"))
        for role, user, created_on, deleted_on in cursor.fetchall():
            start = _utc(created_on)
            if start is None or role is None or user is None:
                continue
            out.append(GrantFact(privilege="USAGE", on_kind="ROLE", scope="object", object_id=str(role).upper(),
                                 grantee_kind="USER", grantee=str(user).upper(), valid_from=start,
                                 valid_to=_utc(deleted_on), origin="grants_to_users"))
    return out
