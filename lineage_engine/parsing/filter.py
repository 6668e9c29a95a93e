"""Decide which query-history rows are worth parsing, before any SQL is read.

Query types follow Snowflake's ``QUERY_HISTORY.QUERY_TYPE`` spellings (not a documented
enum; see ``shared/reference/snowflake-query-history.md`` §2). A type is materializing
when a statement of that type can create lineage or change a dataset's identity: DDL that
creates, clones, renames, swaps or drops, and DML that writes. ``DROP``, ``ALTER`` /
``ALTER_TABLE`` (may be RENAME or SWAP) and ``CREATE_TABLE`` (may be CLONE) pass even
though most such rows carry no lineage: the parser decides. ``UNKNOWN`` passes too
(Snowflake labels some successful statements so); it is mostly failed statements, which
the status check removes first.
"""

from __future__ import annotations

from lineage_engine.model import QueryRecord

MATERIALIZING_QUERY_TYPES: frozenset[str] = frozenset(
    {
        "CREATE_TABLE_AS_SELECT",
        "CREATE_VIEW",
        "CREATE_MATERIALIZED_VIEW",
        "CREATE_TABLE",
        "CREATE_EXTERNAL_TABLE",
        "CREATE",
        "INSERT",
        "MULTI_TABLE_INSERT",
        "MERGE",
        "UPDATE",
        "DELETE",
        "TRUNCATE_TABLE",
        "COPY",
        "UNLOAD",
        "RENAME_TABLE",
        "RENAME_VIEW",
        "ALTER",
        "ALTER_TABLE",
        "ALTER_VIEW",
        "DROP",
        "UNDROP",  # issue 10: UNDROP TABLE|SCHEMA|DATABASE; containers' DDL below (spellings vary)
        "RENAME_SCHEMA",
        "RENAME_DATABASE",
        "ALTER_SCHEMA",
        "ALTER_DATABASE",
        "CREATE_SCHEMA",
        "CREATE_DATABASE",
        "DROP_SCHEMA",
        "DROP_DATABASE",
        # Spellings seen in public SQL run against real accounts' QUERY_HISTORY (e.g. object
        # inventories classifying CREATE_STREAM / CREATE_TASK / CREATE_ICEBERG_TABLE, audits
        # listing RENAME_COLUMN, ALTER_TABLE_*_COLUMN, RESTORE). Left out, a stream (and every
        # path through it), a task's statement, an Iceberg CTAS, a column rename or an UNDROP
        # was silently never parsed, on both the file and the Snowflake source.
        "CREATE_STREAM",
        "CREATE_TASK",
        "CREATE_ICEBERG_TABLE",
        "CREATE_DYNAMIC_TABLE",
        "CREATE_PIPE",  # CREATE PIPE p AS COPY INTO t FROM @s: Snowpipe's loads are not in the history
        "RENAME_COLUMN",
        "ALTER_TABLE_ADD_COLUMN",
        "ALTER_TABLE_MODIFY_COLUMN",
        "ALTER_TABLE_DROP_COLUMN",
        "RESTORE",
        # COPY FILES INTO @to FROM @from (stage to stage: an unload there is then in @to); the
        # spelling is not published: a row typed otherwise is still said (unclassified_query_type)
        "COPY_FILES",
        # SET v = (SELECT ...): a session variable holding values read from a table, used later
        # as $v (parsing.variables); a SET of a constant gives a temporary with no upstream
        "SET",
        "UNKNOWN",
    }
)
"""Query types that can create lineage or change dataset identity."""

SKIP_FAILED = "failed"
SKIP_OWN_USER = "own_user"
SKIP_OWN_TAG = "own_query_tag"
SKIP_NOT_MATERIALIZING = "not_materializing"
SKIP_NOT_ALLOWED = "not_in_query_filters"


def should_parse(
    record: QueryRecord,
    *,
    allowed_query_types: frozenset[str] | None,
    own_user: str | None,
    own_query_tag_prefix: str,
) -> tuple[bool, str]:
    """Return whether to parse a row and, when not, the reason (a stable code).

    Checks in order: execution status (only ``SUCCESS``), our own user, our own query
    tag, materializing query type, then the configured query filters. Comparisons are
    case-insensitive, as Snowflake's names are.

    Args:
        record: one query-history row; its text is not read.
        allowed_query_types: ``telemetry.query_filters`` QUERY_TYPE names, or None for no
            extra restriction. A type must be both materializing and allowed.
        own_user: the service's Snowflake user, whose queries are ours; None if unknown.
        own_query_tag_prefix: prefix of the service's QUERY_TAG; empty disables the check.

    Returns:
        ``(True, "")`` to parse, else ``(False, reason)`` with reason one of ``failed``,
        ``own_user``, ``own_query_tag``, ``not_materializing``, ``not_in_query_filters``.
    """
    if (record.execution_status or "").upper() != "SUCCESS":
        return False, SKIP_FAILED
    if own_user and (record.user_name or "").upper() == own_user.upper():
        return False, SKIP_OWN_USER
    if own_query_tag_prefix and (record.query_tag or "").lower().startswith(own_query_tag_prefix.lower()):
        return False, SKIP_OWN_TAG
    query_type = (record.query_type or "UNKNOWN").upper()
    if query_type not in MATERIALIZING_QUERY_TYPES:
        return False, SKIP_NOT_MATERIALIZING
    if allowed_query_types is not None and query_type not in {t.upper() for t in allowed_query_types}:
        return False, SKIP_NOT_ALLOWED
    return True, ""
