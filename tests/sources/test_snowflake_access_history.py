"""ACCESS_HISTORY records -> lineage, and the rule that they win over parsed lineage (pure)."""

from __future__ import annotations

import json

from lineage_engine.model import AccessLineage, Operation
from lineage_engine.parsing import extract_lineage
from lineage_engine.sources.access_history import (
    access_lineage_from_row,
    apply_access_lineage,
    merge_access_lineage,
)


def _obj(name: str, domain: str = "Table", columns: list[dict] | None = None) -> dict:
    entry: dict = {"objectDomain": domain, "objectId": 101, "objectName": name}
    if columns is not None:
        entry["columns"] = columns
    return entry


def _source(name: str, column: str, domain: str = "Table") -> dict:
    return {"objectDomain": domain, "objectId": 7, "objectName": name, "columnName": column}


MODIFIED = [_obj("PROD.MART.ORDERS_WIDE", columns=[
    {"columnName": "EMAIL", "directSources": [_source("PROD.RAW.CUSTOMERS", "EMAIL")]},
    {"columnName": "AMOUNT", "directSources": [_source("PROD.RAW.ORDERS", "AMOUNT")]},
])]
ACCESSED = [_obj("PROD.RAW.CUSTOMERS"), _obj("PROD.RAW.ORDERS"), _obj('PROD."Raw".REGIONS', "View"),
            {"objectDomain": "Function", "objectName": "PROD.UTIL.NORMALIZE", "objectId": 3}]


def test_objects_modified_give_table_and_column_lineage() -> None:
    lineage = access_lineage_from_row(json.dumps(MODIFIED), json.dumps(ACCESSED))
    assert not lineage.truncated
    (write,) = lineage.writes
    assert write.target.id == "prod.mart.orders_wide"
    # directSources first, then every other object the SQL named (a join-only view too);
    # functions are not datasets; quoted parts keep their case in the display name.
    assert [s.id for s in write.sources] == ["prod.raw.customers", "prod.raw.orders", "prod.raw.regions"]
    assert [s.name for s in write.sources][-1] == "PROD.Raw.REGIONS"
    assert write.sources[-1].kind == "view"
    assert {(c.source, c.target) for c in write.columns} == {
        ("prod.raw.customers.email", "prod.mart.orders_wide.email"),
        ("prod.raw.orders.amount", "prod.mart.orders_wide.amount"),
    }


def test_truncated_records_mean_lineage_unknown() -> None:
    cut_column = [_obj("PROD.MART.T", columns=[{"columnName": "TRUNCATED", "directSources": []}])]
    sentinel = [{"objectDomain": "TRUNCATED", "objectId": -1}]
    for modified in (cut_column, sentinel):
        assert access_lineage_from_row(json.dumps(modified), "[]") == AccessLineage(truncated=True)
    assert merge_access_lineage(access_lineage_from_row(json.dumps(MODIFIED), "[]"),
                                AccessLineage(truncated=True)).truncated


def test_access_history_wins_over_the_parsed_sources_and_keeps_the_operation() -> None:
    parsed = extract_lineage(
        "create or replace table PROD.MART.ORDERS_WIDE as select * from PROD.RAW.ORDERS_V",
        default_database="PROD", default_schema="MART")
    lineage = access_lineage_from_row(MODIFIED, ACCESSED)
    result, authoritative = apply_access_lineage(parsed, lineage, "CREATE_TABLE_AS_SELECT")
    (statement,) = result.statements
    assert authoritative == {"prod.mart.orders_wide"}
    assert statement.operation is Operation.REPLACE and statement.replaces  # from the text
    assert [s.id for s in statement.sources] == ["prod.raw.customers", "prod.raw.orders", "prod.raw.regions"]
    assert len(statement.columns) == 2


def test_a_write_the_parser_missed_is_added_and_truncation_keeps_the_parse() -> None:
    unparsable = extract_lineage("insert into PROD.MART.ORDERS_WIDE select (((", default_database="PROD")
    assert unparsable.problems
    result, authoritative = apply_access_lineage(unparsable, access_lineage_from_row(MODIFIED, ACCESSED), "INSERT")
    assert authoritative == {"prod.mart.orders_wide"}
    added = [s for s in result.statements if s.target is not None and s.target.id == "prod.mart.orders_wide"]
    assert added and added[-1].operation is Operation.INSERT and not added[-1].replaces
    assert {s.id for s in added[-1].sources} == {"prod.raw.customers", "prod.raw.orders", "prod.raw.regions"}

    parsed = extract_lineage("insert into PROD.MART.T select * from PROD.RAW.A", default_database="PROD")
    same, none = apply_access_lineage(parsed, AccessLineage(truncated=True), "INSERT")
    assert same == parsed and none == frozenset()


def test_a_target_the_statement_also_read_stays_a_source_as_in_parsed_lineage() -> None:
    modified = [_obj("PROD.MART.TOTALS", columns=[
        {"columnName": "TOTAL", "directSources": [_source("PROD.MART.TOTALS", "TOTAL"), _source("PROD.RAW.NEW", "AMT")]},
    ])]
    accessed = [_obj("PROD.MART.TOTALS"), _obj("PROD.RAW.NEW")]
    (write,) = access_lineage_from_row(json.dumps(modified), json.dumps(accessed)).writes
    assert [s.id for s in write.sources] == ["prod.mart.totals", "prod.raw.new"]
    parsed = extract_lineage("insert overwrite into prod.mart.totals select t.total + n.amt as total "
                             "from prod.mart.totals t join prod.raw.new n on t.id = n.id").statements[0]
    assert {s.id for s in parsed.sources} == {s.id for s in write.sources}


def test_a_truncate_keeps_its_parsed_lineage_and_an_unparsed_one_derives_from_nothing() -> None:
    record = access_lineage_from_row(json.dumps([_obj("PROD.MART.T")]),
                                     json.dumps([_obj("PROD.MART.T"), _obj("PROD.RAW.X")]))
    parsed = extract_lineage("truncate table prod.mart.t")
    applied, _ = apply_access_lineage(parsed, record, "TRUNCATE_TABLE")
    [st] = applied.statements
    assert (st.operation, st.sources, st.replaces) == (Operation.TRUNCATE, (), True)
    unparsed = extract_lineage("truncate table prod.mart.t ((( cut")
    applied, used = apply_access_lineage(unparsed, record, "TRUNCATE_TABLE")
    assert [(s.operation, s.sources, s.replaces) for s in applied.statements] == [(Operation.TRUNCATE, (), True)]


def test_an_unload_record_without_columns_keeps_the_parsed_column_lineage() -> None:
    parsed = extract_lineage("copy into @prod.exp.st from (select id, email from prod.mart.t)", columns=True)
    record = access_lineage_from_row(json.dumps([_obj("PROD.EXP.ST", "Stage")]), json.dumps([_obj("PROD.MART.T")]))
    applied, used = apply_access_lineage(parsed, record, "UNLOAD")
    assert used == {"@prod.exp.st"}
    assert {(c.source, c.target) for c in applied.statements[0].columns} == {
        ("prod.mart.t.id", "@prod.exp.st.id"), ("prod.mart.t.email", "@prod.exp.st.email")}
