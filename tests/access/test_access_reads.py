"""The read side of a statement (issue 14 §1): pure rules of lineage_engine.access.reads and .aggregate."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from lineage_engine.access.aggregate import aggregate
from lineage_engine.access.reads import access_reads_from_row, merge_access_reads, read_fact
from lineage_engine.model import AccessReads, QueryRecord
from lineage_engine.parsing import DEFAULT_TEMP_PATTERNS, MappingSchemaProvider, extract_lineage
from lineage_engine.parsing.temp_names import compile_temp_patterns

T = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)
SCHEMA = MappingSchemaProvider({"db.raw.customers": ["id", "email", "name"],
                               "db.raw.orders": ["id", "customer_id", "amount"]})


def _record(text: str, query_type: str = "SELECT", **over: object) -> QueryRecord:
    fields: dict = {"query_id": "q1", "query_text": text, "query_type": query_type, "start_time": T, "end_time": T,
                    "user_name": "alice", "role_name": "analyst", "warehouse_name": "WH", "database_name": "DB",
                    "schema_name": "RAW"}
    fields.update(over)
    return QueryRecord(**fields)


def _fact(text: str, query_type: str = "SELECT", **over: object):
    record = _record(text, query_type, **over)
    result = extract_lineage(text, default_database="DB", default_schema="RAW", columns=True, schema=SCHEMA,
                             queries=True)
    return read_fact(record, result, compile_temp_patterns(DEFAULT_TEMP_PATTERNS))


def test_a_select_reads_its_output_and_filter_columns_and_names_principal_and_role() -> None:
    fact = _fact("select email from db.raw.customers where name = 'Jane'")
    assert fact is not None
    assert (fact.principal, fact.role, fact.warehouse, fact.at, fact.query_id) == ("ALICE", "ANALYST", "WH", T, "q1")
    assert fact.datasets == ("db.raw.customers",)
    assert fact.columns == ("db.raw.customers.email", "db.raw.customers.name")


def test_count_star_reads_the_dataset_but_no_column() -> None:
    fact = _fact("select count(*) from db.raw.customers")
    assert fact is not None and fact.datasets == ("db.raw.customers",) and fact.columns == ()


def test_the_read_side_of_a_write_counts() -> None:
    fact = _fact("insert into db.marts.x select id, email from db.raw.customers", "INSERT")
    assert fact is not None and fact.datasets == ("db.raw.customers",)
    assert fact.columns == ("db.raw.customers.email", "db.raw.customers.id")


def test_an_unresolved_column_over_a_join_is_read_from_every_dataset_of_the_text() -> None:
    text = "select email from customers c join orders o on c.id = o.customer_id"
    record = _record(text)
    result = extract_lineage(text, default_database="DB", default_schema="RAW", columns=True, queries=True)
    fact = read_fact(record, result)
    assert fact is not None
    assert {"db.raw.customers.email", "db.raw.orders.email"} <= set(fact.columns)


def test_create_view_reads_nothing_and_clone_reads_every_column() -> None:
    assert _fact("create view db.marts.v as select email from db.raw.customers", "CREATE_VIEW") is None
    clone = _fact("create table db.marts.c clone db.raw.customers", "CREATE_TABLE")
    assert clone is not None and "db.raw.customers.*" in clone.columns  # every column, known or not


def test_a_statement_not_fully_parsed_reads_every_column_of_what_it_names() -> None:
    text = "select email from db.raw.customers where ((("
    result = extract_lineage(text, columns=True, queries=True)
    fact = read_fact(_record(text), result)
    assert result.problems
    if fact is not None:  # recovered: the dataset is named, its columns are unknown
        assert all(c.endswith(".*") for c in fact.columns) and fact.columns


def test_temporary_objects_are_not_recorded() -> None:
    fact = _fact("select * from db.raw.customers__dbt_tmp join db.raw.orders using (id)")
    assert fact is not None and "db.raw.customers__dbt_tmp" not in fact.datasets
    assert fact.datasets == ("db.raw.orders",)


def test_access_history_reads_win_unless_truncated() -> None:
    direct = [{"objectDomain": "View", "objectId": 3, "objectName": "DB.MARTS.V",
               "columns": [{"columnId": 1, "columnName": "EMAIL"}]},
              {"objectDomain": "Function", "objectId": 4, "objectName": "DB.U.F"}]
    base = [{"objectDomain": "Table", "objectId": 5, "objectName": "DB.RAW.CUSTOMERS",
             "columns": [{"columnId": 2, "columnName": "EMAIL"}]}]
    reads = access_reads_from_row(json.dumps(direct), json.dumps(base))
    assert reads == AccessReads(datasets=("db.marts.v", "db.raw.customers"),
                                columns=("db.marts.v.email", "db.raw.customers.email"))
    fact = read_fact(_record("select name from db.raw.orders", access_reads=reads),
                     extract_lineage("select name from db.raw.orders", columns=True, queries=True))
    assert fact is not None and fact.datasets == ("db.marts.v", "db.raw.customers")  # Snowflake's record wins
    cut = access_reads_from_row(json.dumps([{"objectDomain": "TRUNCATED", "objectId": -1}]), None)
    assert cut.truncated and merge_access_reads(reads, cut).truncated
    parsed = read_fact(_record("select amount from db.raw.orders", access_reads=cut),
                       extract_lineage("select amount from db.raw.orders", columns=True, queries=True))
    assert parsed is not None and parsed.columns == ("db.raw.orders.amount",)


def test_aggregate_counts_per_principal_role_object_and_utc_day() -> None:
    first = _fact("select email from db.raw.customers")
    later = _fact("select email from db.raw.customers", query_id="q2", end_time=T + timedelta(hours=3))
    next_day = _fact("select email from db.raw.customers", query_id="q3", end_time=T + timedelta(days=1))
    assert first and later and next_day
    deltas = aggregate([later, first, next_day])
    key = ("ALICE", "ANALYST", "column", "db.raw.customers.email", "2026-11-02")
    assert deltas[key].reads == 2 and deltas[key].first_at == T and deltas[key].last_at == T + timedelta(hours=3)
    assert deltas[key].first_query_id == "q1" and sorted(deltas[key].samples) == ["q1", "q2"]
    assert deltas[("ALICE", "ANALYST", "dataset", "db.raw.customers", "2026-11-03")].reads == 1
