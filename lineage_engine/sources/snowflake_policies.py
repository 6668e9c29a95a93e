"""Policies and tags the warehouse enforces now, from ACCOUNT_USAGE (``telemetry.sync_policies``, issue 10 §2).

``SNOWFLAKE.ACCOUNT_USAGE.POLICY_REFERENCES`` lists every masking and row access policy
attached to a table, view or column (POLICY_NAME, POLICY_KIND, REF_DATABASE_NAME,
REF_SCHEMA_NAME, REF_ENTITY_NAME, REF_COLUMN_NAME, POLICY_STATUS; docs.snowflake.com,
sql-reference/account-usage/policy_references) and ``TAG_REFERENCES`` every tag set on an
object or column (TAG_DATABASE/SCHEMA/NAME, TAG_VALUE, OBJECT_DATABASE/SCHEMA/NAME,
COLUMN_NAME, DOMAIN, OBJECT_DELETED; sql-reference/account-usage/tag_references). Both lag
up to about two hours and say nothing about *when* an assignment was made: the registry
dates what a sync sees from the sync's time (:meth:`Registry.sync_warehouse_facts`), and the
query history, when it holds the ``ALTER`` statement, dates it exactly.

The role needs the SNOWFLAKE database role GOVERNANCE_VIEWER (or IMPORTED PRIVILEGES ON
DATABASE SNOWFLAKE). Ids are lower-cased like the extractor's; policy names are kept without
database and schema, lower-case (as :mod:`lineage_engine.parsing.policies` names them).
Errors are mapped like the query-history source's; nothing here logs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lineage_engine.model import column_id, join_id
from lineage_engine.sources.snowflake import load_sql
from lineage_engine.sources.snowflake_connection import SnowflakeConnectionConfig, session_cursor

POLICIES_GRANT = ("the database role SNOWFLAKE.GOVERNANCE_VIEWER or IMPORTED PRIVILEGES ON DATABASE SNOWFLAKE "
                  "(or turn telemetry.sync_policies off)")
"""What the role lacks when POLICY_REFERENCES or TAG_REFERENCES is not authorized."""

TAG_VALUE_MAX = 256
"""Longest tag value kept, in characters."""


@dataclass(frozen=True)
class WarehousePolicies:
    """One read of POLICY_REFERENCES and TAG_REFERENCES.

    Attributes:
        policies: (target id, fact, "") -> policy name; fact ``masking_policy`` (target a
            column id) or ``row_access_policy`` (target a dataset id).
        tags: (target id, "tag", tag name) -> value; the tag name is ``database.schema.tag``
            lower-case, target a dataset or column id.
    """

    policies: dict[tuple[str, str, str], str] = field(default_factory=dict)
    tags: dict[tuple[str, str, str], str] = field(default_factory=dict)


def _part(value: Any) -> str | None:
    return str(value).lower() if value is not None and str(value).strip() else None


def fetch_warehouse_policies(config: SnowflakeConnectionConfig, *, connect_fn: Any = None) -> WarehousePolicies:
    """Read the current policy and tag assignments in one session (two statements).

    Raises:
        SourceError: terminal failure (credentials, missing grant: the message says which).
        TransientSourceError: network, timeout or expired session.
    """
    out = WarehousePolicies()
    with session_cursor(config, "read ACCOUNT_USAGE.POLICY_REFERENCES and TAG_REFERENCES", grant=POLICIES_GRANT, connect_fn=connect_fn) as cursor:
        cursor.execute(load_sql("policy_references"))
        for name, kind, db, schema, entity, column in cursor.fetchall():
            parts = [_part(db), _part(schema), _part(entity)]
            if None in parts or _part(name) is None:
                continue
            dataset = join_id(p for p in parts if p is not None)
            policy = str(name).lower()
            if str(kind).upper() == "MASKING_POLICY" and _part(column) is not None:
                out.policies[(column_id(dataset, str(column).lower()), "masking_policy", "")] = policy
            elif str(kind).upper() == "ROW_ACCESS_POLICY":
                out.policies[(dataset, "row_access_policy", "")] = policy
        cursor.execute(load_sql("tag_references"))
        for tag_db, tag_schema, tag, value, db, schema, entity, column in cursor.fetchall():
            parts = [_part(db), _part(schema), _part(entity)]
            if None in parts or _part(tag) is None:
                continue
            dataset = join_id(p for p in parts if p is not None)
            target = column_id(dataset, str(column).lower()) if _part(column) is not None else dataset
            key = ".".join(p for p in (_part(tag_db), _part(tag_schema), str(tag).lower()) if p)
            out.tags[(target, "tag", key)] = "" if value is None else str(value)[:TAG_VALUE_MAX]
    return out


def fetch_policy_signatures(config: SnowflakeConnectionConfig, *, connect_fn: Any = None) -> dict[str, str]:
    """Read the signature type of every live masking policy (``sql/masking_policies.sql``), in a
    session of its own.

    ``POLICY_SIGNATURE`` is Snowflake's ``(VAL VARCHAR)`` or ``(VAL NUMBER, CONDITION VARCHAR)``
    (docs.snowflake.com, account-usage/masking_policies); the first argument is the one a tag-based
    assignment compares with the column's type (Snowflake, "Tag-based masking policies").

    Returns:
        Policy id (lower-case ``database.schema.name``) -> the first argument's type family
        (:func:`~lineage_engine.parsing.data_types.type_family`); a signature not read is left out.

    Raises:
        SourceError: terminal failure (credentials, missing grant: the message says which).
        TransientSourceError: network, timeout or expired session.
    """
    from lineage_engine.parsing.data_types import type_family

    out: dict[str, str] = {}
    with session_cursor(config, "read ACCOUNT_USAGE.MASKING_POLICIES", grant=POLICIES_GRANT,
                        connect_fn=connect_fn) as cursor:
        cursor.execute(load_sql("masking_policies"))
        for db, schema, name, signature in cursor.fetchall():
            parts = [_part(db), _part(schema), _part(name)]
            first = str(signature or "").strip().strip("()").split(",", 1)[0].split()
            family = type_family(" ".join(first[1:])) if len(first) > 1 else None
            if None not in parts and family is not None:
                out[join_id(str(p).lower() for p in parts if p is not None)] = family
    return out

