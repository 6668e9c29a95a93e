"""should_parse: which query-history rows reach the parser."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from lineage_engine.model import QueryRecord
from lineage_engine.parsing.filter import MATERIALIZING_QUERY_TYPES, should_parse

AT = datetime(2026, 8, 23, 6, 0, tzinfo=timezone.utc)


def row(query_type: str = "MERGE", **kwargs: object) -> QueryRecord:
    fields: dict[str, object] = {
        "query_id": "q1", "query_text": "merge into t using s on 1=1 when matched then delete",
        "query_type": query_type, "start_time": AT, "end_time": AT, "user_name": "DBT_PROD",
        "query_tag": "",
    }
    fields.update(kwargs)
    return QueryRecord(**fields)  # type: ignore[arg-type]


def decide(record: QueryRecord, allowed: frozenset[str] | None = None) -> tuple[bool, str]:
    return should_parse(record, allowed_query_types=allowed, own_user="LINEAGE_SVC", own_query_tag_prefix="lineage-svc")


@pytest.mark.parametrize(
    "query_type",
    ["CREATE_TABLE_AS_SELECT", "CREATE_VIEW", "CREATE_TABLE", "INSERT", "MULTI_TABLE_INSERT", "MERGE", "UPDATE",
     "DELETE", "COPY", "UNLOAD", "RENAME_TABLE", "ALTER", "ALTER_TABLE", "DROP", "UNKNOWN", "merge"],
)
def test_materializing_types_pass(query_type: str) -> None:
    assert decide(row(query_type)) == (True, "")


@pytest.mark.parametrize(
    "query_type",
    ["SELECT", "SHOW", "DESCRIBE", "USE", "ALTER_SESSION", "BEGIN_TRANSACTION", "COMMIT", "ROLLBACK", "CALL",
     "GRANT", "PUT_FILES", "LIST_FILES"],
)
def test_non_materializing_types_are_skipped(query_type: str) -> None:
    assert decide(row(query_type)) == (False, "not_materializing")


def test_drop_alter_and_create_table_are_materializing() -> None:
    # DROP closes edges, ALTER may be RENAME/SWAP, CREATE_TABLE may be a CLONE.
    assert {"DROP", "ALTER", "ALTER_TABLE", "CREATE_TABLE", "RENAME_TABLE"} <= MATERIALIZING_QUERY_TYPES


def test_failed_statements_are_skipped_even_when_unknown() -> None:
    assert decide(row("UNKNOWN", execution_status="FAILED_WITH_ERROR")) == (False, "failed")
    assert decide(row("MERGE", execution_status="fail")) == (False, "failed")


def test_own_queries_are_skipped_by_user_and_by_tag() -> None:
    assert decide(row(user_name="lineage_svc")) == (False, "own_user")
    assert decide(row(query_tag="LINEAGE-SVC:crawl")) == (False, "own_query_tag")
    assert decide(row(query_tag=None)) == (True, "")
    assert should_parse(row(query_tag="x"), allowed_query_types=None, own_user=None, own_query_tag_prefix="") == (
        True, ""
    )


def test_configured_query_filters_restrict_further() -> None:
    allowed = frozenset({"MERGE", "insert"})
    assert decide(row("MERGE"), allowed) == (True, "")
    assert decide(row("INSERT"), allowed) == (True, "")
    assert decide(row("DROP"), allowed) == (False, "not_in_query_filters")
    assert decide(row("SELECT"), frozenset({"SELECT"})) == (False, "not_materializing")
