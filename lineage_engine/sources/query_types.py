"""QUERY_TYPEs the crawl has classified, and rows of any other type (review D3).

Snowflake publishes no list of ``QUERY_HISTORY.QUERY_TYPE`` names, and a name the crawl does not
know is skipped as not materializing: a new kind of statement that writes data (as
``CREATE_STREAM`` and ``CREATE_DYNAMIC_TABLE`` were) would be missed without a word. So the
types are in three groups: the materializing ones (parsed for lineage,
:data:`~lineage_engine.parsing.filter.MATERIALIZING_QUERY_TYPES`), the ones known to move no data
between datasets (:data:`NON_LINEAGE_QUERY_TYPES`: reads, session and transaction control,
grants, file transfers with the client, account administration), and every other one. A
successful row of another type that nothing else read (a policy, tag, share or function
statement is read whatever its type) is quarantined as ``unclassified_query_type`` with its
redacted text: the crawl prints a count per type, and ``scan``, ``access`` and evidence packs
count it under "not seen". The Snowflake source reads such rows too (its pushdown reads every
type but the known ones, ``sql/query_history.sql``).
"""

from __future__ import annotations

from datetime import datetime

from lineage_engine.model import QuarantineEntry, QueryRecord
from lineage_engine.parsing.filter import MATERIALIZING_QUERY_TYPES
from lineage_engine.parsing.redact import redact_literals

UNCLASSIFIED = "unclassified_query_type"
"""Quarantine reason code of a row whose QUERY_TYPE the crawl has never classified."""

NON_LINEAGE_QUERY_TYPES: frozenset[str] = frozenset({
    # reads (SELECT and GET are parsed for access facts) and metadata
    "SELECT", "GET_FILES", "SHOW", "DESCRIBE", "DESCRIBE_QUERY", "EXPLAIN", "LIST_FILES",
    # session and transaction control
    "USE", "ALTER_SESSION", "UNSET", "BEGIN_TRANSACTION", "COMMIT", "ROLLBACK",
    # grants (dated grant facts, read separately)
    "GRANT", "REVOKE",
    # files between the client and a stage: nothing moves between datasets in the account
    "PUT_FILES", "REMOVE_FILES",
    # a procedure's own statements are rows of the history themselves
    "CALL",
    # users, roles and warehouses
    "CREATE_USER", "ALTER_USER", "DROP_USER", "CREATE_ROLE", "DROP_ROLE",
    "ALTER_WAREHOUSE_SUSPEND", "ALTER_WAREHOUSE_RESUME", "ALTER_USER_RESET_PASSWORD",
    # policies, tags, shares and external functions: read by their text whatever their type
    # (lineage_engine.governance, lineage_engine.access.egress_crawl; one not understood is quarantined there)
    "CREATE_MASKING_POLICY", "ALTER_MASKING_POLICY", "DROP_MASKING_POLICY", "CREATE_ROW_ACCESS_POLICY",
    "CREATE_TAG", "ALTER_TAG", "DROP_TAG", "ALTER_TABLE_SET_TAG", "ALTER_TABLE_ADD_ROW_ACCESS_POLICY",
    "CREATE_SHARE", "ALTER_SHARE", "DROP_SHARE", "CREATE_EXTERNAL_FUNCTION", "CREATE_LISTING",
    # a listing's later changes: its share already exports to every consumer it reaches (share_parse)
    "ALTER_LISTING", "DROP_LISTING",
})
"""QUERY_TYPEs known to move no data between datasets (Snowflake spellings)."""

CLASSIFIED_QUERY_TYPES: frozenset[str] = MATERIALIZING_QUERY_TYPES | NON_LINEAGE_QUERY_TYPES
"""Every QUERY_TYPE the crawl has classified; a row of any other type is counted and quarantined."""

REDACTED_LIMIT = 4000


def unclassified(record: QueryRecord) -> str | None:
    """Return the upper-case QUERY_TYPE of ``record`` when the crawl has never classified it, else None."""
    query_type = (record.query_type or "UNKNOWN").upper()
    return None if query_type in CLASSIFIED_QUERY_TYPES else query_type


def unclassified_entry(source: str, record: QueryRecord, query_type: str, dialect: str,
                       now: datetime) -> QuarantineEntry:
    """Return the quarantine entry of a skipped row of an unclassified QUERY_TYPE (redacted text, never raw)."""
    return QuarantineEntry(
        source=source, query_id=record.query_id, position=record.position, reason_code=UNCLASSIFIED,
        reason=f"QUERY_TYPE {query_type[:200]} is neither one the crawl reads for lineage nor one known to move no "
               "data: the statement was not read (if such statements write data, please report the type)",
        redacted_text=redact_literals(record.query_text, dialect=dialect)[:REDACTED_LIMIT] or None, seen_at=now)
