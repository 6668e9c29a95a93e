"""fetch_catalog_columns against fakesnow: ACCOUNT_USAGE.COLUMNS -> extractor ids, table order."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import fakesnow
import pytest
import snowflake.connector

from lineage_engine.errors import SourceError, TransientSourceError
from lineage_engine.parsing import extract_lineage
from lineage_engine.parsing.schema import MappingSchemaProvider
from lineage_engine.sources.snowflake_columns import fetch_catalog_columns
from lineage_engine.sources.snowflake_connection import SnowflakeConnectionConfig
from tests.sources.fakesnow_columns import create_columns_view, sync_account_usage_columns
from tests.sources.wrapped_driver import WrappedDriver

pytestmark = pytest.mark.filterwarnings("ignore:Arrow output:UserWarning")

CONFIG = SnowflakeConnectionConfig(account="acme-test", user="LINEAGE_SVC", role="LINEAGE_OBSERVER",
                                   password="hunter2-secret", query_tag="lineage-svc")


@pytest.fixture
def snow() -> Iterator[Any]:
    """A fresh fakesnow with PROD_DB.RAW tables (one quoted), a view, and ACCOUNT_USAGE.COLUMNS."""
    with fakesnow.patch():
        conn = snowflake.connector.connect(database="SNOWFLAKE", schema="ACCOUNT_USAGE")
        cursor = conn.cursor()
        create_columns_view(cursor)
        for db in ("prod_db", "dev_db"):
            cursor.execute(f"CREATE DATABASE {db}")
            cursor.execute(f"CREATE SCHEMA {db}.raw")
        cursor.execute('CREATE TABLE prod_db.raw.customers (id INT, email VARCHAR, "Full Name" VARCHAR, country VARCHAR)')
        cursor.execute('CREATE TABLE prod_db.raw."Events" (k INT, v VARCHAR)')
        cursor.execute("CREATE VIEW prod_db.raw.emails AS SELECT email, id FROM prod_db.raw.customers")
        cursor.execute("CREATE TABLE dev_db.raw.scratch (x INT)")
        yield cursor
        conn.close()


def test_columns_come_in_table_order_under_the_extractors_ids(snow: Any) -> None:
    sync_account_usage_columns(snow, "prod_db")
    sync_account_usage_columns(snow, "dev_db")
    recorder = WrappedDriver()
    catalog = fetch_catalog_columns(CONFIG, connect_fn=recorder, fetch_size=3)  # tables span fetches
    assert catalog.columns == {
        "dev_db.raw.scratch": ("x",),
        "prod_db.raw.customers": ("id", "email", "full name", "country"),  # ORDINAL_POSITION order
        "prod_db.raw.emails": ("email", "id"),  # views too
        "prod_db.raw.events": ("k", "v"),  # quoted "Events": lower-cased like the extractor's id
    }
    assert catalog.rows_read == 9 and catalog.ambiguous == ()
    (sql,), (params,) = recorder.sql, recorder.params  # one statement for every database, bind parameters
    assert "snowflake.account_usage.columns" in sql.lower() and params["all_databases"] is True

    # The ids are the extractor's: SELECT * over each name, as written in SQL, expands.
    schema = MappingSchemaProvider(catalog.columns)
    for text, expected in [
        ("create table prod_db.an.c as select * from PROD_DB.RAW.CUSTOMERS", {"id", "email", "full name", "country"}),
        ('create table prod_db.an.e as select * from prod_db.raw."Events"', {"k", "v"}),
        ("create table prod_db.an.m as select * from emails", {"email", "id"}),  # session defaults
    ]:
        result = extract_lineage(text, dialect="snowflake", default_database="PROD_DB", default_schema="RAW",
                                 columns=True, schema=schema)
        (statement,) = result.statements
        assert {c.target.rsplit(".", 1)[1] for c in statement.columns} == expected, text
        assert result.confidence == 1.0 and not result.problems


def test_dropped_objects_and_other_databases_are_left_out(snow: Any) -> None:
    sync_account_usage_columns(snow, "prod_db")
    sync_account_usage_columns(snow, "dev_db")
    snow.execute("DROP TABLE prod_db.raw.\"Events\"")
    snow.execute("ALTER TABLE prod_db.raw.customers ADD COLUMN phone VARCHAR")
    sync_account_usage_columns(snow, "prod_db")  # the old rows now carry DELETED
    catalog = fetch_catalog_columns(CONFIG, databases=[" Prod_Db "])  # any case
    assert catalog.columns == {"prod_db.raw.customers": ("id", "email", "full name", "country", "phone"),
                               "prod_db.raw.emails": ("email", "id")}


def test_names_that_differ_only_in_case_are_left_out_not_merged(snow: Any) -> None:
    # DuckDB cannot hold FOO and "Foo" side by side; Snowflake can: write the view's rows directly.
    for table, column, position in [("FOO", "A", 1), ("FOO", "B", 2), ("Foo", "C", 1), ("BAR", "D", 1)]:
        snow.execute("INSERT INTO snowflake.account_usage.columns (table_catalog, table_schema, table_name, "
                     "column_name, ordinal_position) VALUES ('PROD_DB', 'RAW', %(t)s, %(c)s, %(p)s)",
                     {"t": table, "c": column, "p": position})
    catalog = fetch_catalog_columns(CONFIG)
    assert catalog.columns == {"prod_db.raw.bar": ("d",)}
    assert catalog.ambiguous == ("prod_db.raw.foo",)


def test_a_missing_view_or_grant_is_a_source_error_that_says_what_to_grant_and_no_secret() -> None:
    with fakesnow.patch():  # no ACCOUNT_USAGE.COLUMNS at all: Snowflake's "does not exist or not authorized"
        with pytest.raises(SourceError) as caught:
            fetch_catalog_columns(CONFIG)
    message = str(caught.value)
    assert not isinstance(caught.value, TransientSourceError)
    assert "acme-test" in message and "ACCOUNT_USAGE.COLUMNS" in message and "OBJECT_VIEWER" in message
    assert "hunter2" not in message and "select" not in message.lower()
