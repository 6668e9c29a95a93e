"""Dataset names: qualification, case folding, quoting, IDENTIFIER(), stages."""

from __future__ import annotations

import pytest
import sqlglot
from sqlglot import exp

from lineage_engine.model import DatasetRef
from lineage_engine.parsing.normalize import NameContext, split_dotted_name, stage_ref, table_ref

CTX = NameContext(database="PROD_DB", schema="RAW")


def ref_of(sql_name: str, context: NameContext = CTX) -> tuple[DatasetRef | None, str | None]:
    table = sqlglot.parse_one(f"select * from {sql_name}", read="snowflake").find(exp.Table)
    assert table is not None
    return table_ref(table, context)


@pytest.mark.parametrize(
    ("name", "expected_id", "expected_name"),
    [
        ("customers", "prod_db.raw.customers", "PROD_DB.RAW.CUSTOMERS"),
        ("crm.customers", "prod_db.crm.customers", "PROD_DB.CRM.CUSTOMERS"),
        ("Other_Db.crm.Customers", "other_db.crm.customers", "OTHER_DB.CRM.CUSTOMERS"),
        ('"Mixed"."Case Name"', "prod_db.mixed.case name", "PROD_DB.Mixed.Case Name"),
        ('"PROD_DB".raw."CUSTOMERS"', "prod_db.raw.customers", "PROD_DB.RAW.CUSTOMERS"),
        ("identifier('crm.customers')", "prod_db.crm.customers", "PROD_DB.CRM.CUSTOMERS"),
        ("identifier('db.\"Quoted\".t')", "db.quoted.t", "DB.Quoted.T"),
    ],
)
def test_names_are_qualified_and_case_folded(name: str, expected_id: str, expected_name: str) -> None:
    ref, problem = ref_of(name)
    assert problem is None
    assert ref == DatasetRef(id=expected_id, name=expected_name, kind="table")


def test_quoted_and_unquoted_upper_case_share_an_id() -> None:
    # Snowflake: "FOO" and FOO are the same object; both get the id foo.
    assert ref_of('"FOO"')[0].id == ref_of("foo")[0].id == "prod_db.raw.foo"


def test_missing_defaults_give_a_partial_ref_and_a_problem() -> None:
    ref, problem = ref_of("customers", NameContext(database=None, schema=None))
    assert (ref.id, problem) == ("customers", "unqualified_name")
    ref, problem = ref_of("crm.customers", NameContext(database=None, schema="RAW"))
    assert (ref.id, problem) == ("crm.customers", "unqualified_name")


def test_identifier_with_a_variable_cannot_be_resolved() -> None:
    assert ref_of("identifier($t)") == (None, "dynamic_sql")


def test_table_functions_are_not_datasets() -> None:
    tree = sqlglot.parse_one("select * from table(flatten(input => x)), lateral flatten(input => y)", read="snowflake")
    assert all(table_ref(t, CTX)[0] is None for t in tree.find_all(exp.Table))


@pytest.mark.parametrize(
    ("location", "expected_id", "expected_name"),
    [
        ("@stg", "@prod_db.raw.stg", "@PROD_DB.RAW.STG"),
        ("@db.s.stg/path/to/file.csv", "@db.s.stg", "@DB.S.STG"),
        ('@"My Stage"/x', "@prod_db.raw.my stage", "@PROD_DB.RAW.My Stage"),
        ("@%orders", "@prod_db.raw.%orders", "@PROD_DB.RAW.%ORDERS"),
        ("@~/staged", "@~", "@~"),
    ],
)
def test_stages(location: str, expected_id: str, expected_name: str) -> None:
    assert stage_ref(location, CTX) == (DatasetRef(id=expected_id, name=expected_name, kind="stage"), None)


def test_split_dotted_name() -> None:
    assert split_dotted_name('db."a.b""c".t') == [("db", False), ('a.b"c', True), ("t", False)]
    assert split_dotted_name("a..b") is None
    assert split_dotted_name("a.b.c.d") is None
    assert split_dotted_name("") is None
