"""telemetry.sync_policies against fakesnow: POLICY_REFERENCES and TAG_REFERENCES -> dated registry facts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import fakesnow
import pytest
import snowflake.connector

from lineage_engine.errors import SourceError, TransientSourceError
from lineage_engine.governance import sync_warehouse_policies
from lineage_engine.registry import Registry
from lineage_engine.settings import load_settings
from lineage_engine.sources.snowflake_connection import SnowflakeConnectionConfig
from lineage_engine.sources.snowflake_policies import fetch_warehouse_policies
from tests.sources.wrapped_driver import WrappedDriver

pytestmark = pytest.mark.filterwarnings("ignore:Arrow output:UserWarning")

CONFIG = SnowflakeConnectionConfig(account="acme-test", user="LINEAGE_SVC", role="LINEAGE_OBSERVER",
                                   password="hunter2-secret", query_tag="lineage-svc")
T1 = datetime(2026, 3, 2, 9, tzinfo=timezone.utc)
T2 = T1 + timedelta(hours=2)

# The documented columns of the two views (docs.snowflake.com, account-usage/policy_references, tag_references).
POLICY_REFERENCES_DDL = """CREATE TABLE snowflake.account_usage.policy_references (
  policy_db VARCHAR, policy_schema VARCHAR, policy_id NUMBER, policy_name VARCHAR, policy_kind VARCHAR,
  ref_database_name VARCHAR, ref_schema_name VARCHAR, ref_entity_name VARCHAR, ref_entity_domain VARCHAR,
  ref_column_name VARCHAR, ref_arg_column_names VARCHAR, tag_database VARCHAR, tag_schema VARCHAR, tag_name VARCHAR,
  policy_status VARCHAR)"""
TAG_REFERENCES_DDL = """CREATE TABLE snowflake.account_usage.tag_references (
  tag_database VARCHAR, tag_schema VARCHAR, tag_id NUMBER, tag_name VARCHAR, tag_value VARCHAR,
  object_database VARCHAR, object_schema VARCHAR, object_id NUMBER, object_name VARCHAR, object_deleted TIMESTAMP_LTZ,
  domain VARCHAR, column_id NUMBER, column_name VARCHAR, apply_method VARCHAR)"""
COLUMNS_DDL = """CREATE TABLE snowflake.account_usage.columns (
  column_id NUMBER, column_name VARCHAR, table_id NUMBER, table_name VARCHAR, table_schema VARCHAR,
  table_catalog VARCHAR, ordinal_position NUMBER, data_type VARCHAR, deleted TIMESTAMP_LTZ)"""


@pytest.fixture
def snow() -> Iterator[Any]:
    """A fresh fakesnow with SNOWFLAKE.ACCOUNT_USAGE.POLICY_REFERENCES and TAG_REFERENCES."""
    with fakesnow.patch():
        conn = snowflake.connector.connect(database="SNOWFLAKE", schema="ACCOUNT_USAGE")
        cursor = conn.cursor()
        cursor.execute("CREATE DATABASE IF NOT EXISTS snowflake")
        cursor.execute("CREATE SCHEMA IF NOT EXISTS snowflake.account_usage")
        cursor.execute(POLICY_REFERENCES_DDL)
        cursor.execute(TAG_REFERENCES_DDL)
        cursor.execute(COLUMNS_DDL)
        yield cursor
        conn.close()


def _policy(cursor: Any, name: str, kind: str, table: str, column: str | None, status: str = "ACTIVE") -> None:
    cursor.execute(
        "INSERT INTO snowflake.account_usage.policy_references (policy_db, policy_schema, policy_name, policy_kind, "
        "ref_database_name, ref_schema_name, ref_entity_name, ref_entity_domain, ref_column_name, policy_status) "
        "VALUES ('GOV', 'POLICIES', %(n)s, %(k)s, 'PROD_DB', 'RAW', %(t)s, 'TABLE', %(c)s, %(s)s)",
        {"n": name, "k": kind, "t": table, "c": column, "s": status})


def _tag(cursor: Any, name: str, value: str, table: str, column: str | None, deleted: bool = False) -> None:
    cursor.execute(
        "INSERT INTO snowflake.account_usage.tag_references (tag_database, tag_schema, tag_name, tag_value, "
        "object_database, object_schema, object_name, object_deleted, domain, column_name) VALUES ('GOV', 'TAGS', "
        f"%(n)s, %(v)s, 'PROD_DB', 'RAW', %(t)s, {'CURRENT_TIMESTAMP()' if deleted else 'NULL'}, %(d)s, %(c)s)",
        {"n": name, "v": value, "t": table, "d": "COLUMN" if column else "TABLE", "c": column})


def _column(cursor: Any, table: str, column: str, data_type: str, deleted: bool = False) -> None:
    cursor.execute(
        "INSERT INTO snowflake.account_usage.columns (table_catalog, table_schema, table_name, column_name, data_type, "
        f"deleted) VALUES ('PROD_DB', 'RAW', %(t)s, %(c)s, %(d)s, {'CURRENT_TIMESTAMP()' if deleted else 'NULL'})",
        {"t": table, "c": column, "d": data_type})


def test_assignments_are_read_under_the_extractors_ids(snow: Any) -> None:
    _policy(snow, "EMAIL_MASK", "MASKING_POLICY", "CUSTOMERS", "EMAIL")
    _policy(snow, "REGION_RAP", "ROW_ACCESS_POLICY", "CUSTOMERS", None)
    _policy(snow, "BROKEN_MASK", "MASKING_POLICY", "CUSTOMERS", "PHONE", status="COLUMN_DATATYPE_MISMATCH_FOR_SECONDARY_ARG")
    _tag(snow, "PII_TYPE", "email", "CUSTOMERS", "EMAIL")
    _tag(snow, "OWNER", "crm", "CUSTOMERS", None)
    _tag(snow, "OWNER", "gone", "OLD_TABLE", None, deleted=True)
    recorder = WrappedDriver()
    found = fetch_warehouse_policies(CONFIG, connect_fn=recorder)
    assert found.policies == {
        ("prod_db.raw.customers.email", "masking_policy", ""): "email_mask",
        ("prod_db.raw.customers", "row_access_policy", ""): "region_rap",
    }  # an assignment that is not ACTIVE protects nothing
    assert found.tags == {
        ("prod_db.raw.customers.email", "tag", "gov.tags.pii_type"): "email",
        ("prod_db.raw.customers", "tag", "gov.tags.owner"): "crm",
    }
    assert len(recorder.sql) == 2 and all("account_usage" in s.lower() for s in recorder.sql)


def test_syncs_keep_history_and_a_resync_changes_nothing(snow: Any, tmp_path: Path) -> None:
    _policy(snow, "EMAIL_MASK", "MASKING_POLICY", "CUSTOMERS", "EMAIL")
    _tag(snow, "PII_TYPE", "email", "CUSTOMERS", "EMAIL")
    with Registry(f"sqlite:///{tmp_path}/registry.db") as registry:
        registry.migrate()
        found = fetch_warehouse_policies(CONFIG)
        assert registry.sync_warehouse_facts(found.policies, found.tags, T1) == 2
        assert registry.sync_warehouse_facts(found.policies, found.tags, T1 + timedelta(minutes=5)) == 0
        snow.execute("DELETE FROM snowflake.account_usage.policy_references")  # the policy was unset
        found = fetch_warehouse_policies(CONFIG)
        assert registry.sync_warehouse_facts(found.policies, found.tags, T2) == 1
        assert registry.facts_as_of(T1).masking_policies() == {"prod_db.raw.customers.email": "email_mask"}
        assert registry.facts_as_of(T2).masking_policies() == {}
        assert registry.facts_as_of(T2).tags() == {"prod_db.raw.customers.email": {"gov.tags.pii_type": "email"}}
        assert {(f.origin, f.value, f.valid_from, f.valid_to) for f in registry.fact_history(fact="masking_policy")} == {
            ("policy_references", "email_mask", T1, T2), ("policy_references", None, T2, None)}


def test_a_missing_grant_is_a_warning_naming_the_grant_and_no_secret(tmp_path: Path, caplog: Any) -> None:
    config = tmp_path / "lineage-engine.config.yaml"
    config.write_text("telemetry: {provider: snowflake, account: acme-test, user: LINEAGE_SVC, "
                      "sync_policies: true}\ncompliance: {classification_db: 'sqlite:///registry.db'}\n")
    settings = load_settings(config)
    assert settings.telemetry.sync_policies is True
    with fakesnow.patch(), pytest.raises(SourceError) as caught:  # no ACCOUNT_USAGE views at all
        fetch_warehouse_policies(CONFIG)
    assert not isinstance(caught.value, TransientSourceError)
    assert "GOVERNANCE_VIEWER" in str(caught.value) and "hunter2" not in str(caught.value)

    def failing(_config: object) -> object:
        raise caught.value

    with Registry(f"sqlite:///{tmp_path}/registry.db") as registry:
        registry.migrate()
        assert sync_warehouse_policies(settings, registry, T1, fetch=failing) is None
    assert "warehouse policies not synced" in caplog.text and "GOVERNANCE_VIEWER" in caplog.text


def test_sync_policies_without_an_account_fails_at_start_up_with_the_key(tmp_path: Path) -> None:
    from lineage_engine.errors import ConfigError

    config = tmp_path / "lineage-engine.config.yaml"
    config.write_text("telemetry: {provider: file, path: h.jsonl, sync_policies: true}\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(config)
    assert "sync_policies" in str(caught.value) and "telemetry" in str(caught.value)


def test_the_types_of_tagged_tables_columns_are_read_and_synced(snow: Any, tmp_path: Path, caplog: Any) -> None:
    """Tag-based masking protects only the columns of the policy's type (review O1): a table made
    before the crawled history has no CREATE TABLE to say its types; ACCOUNT_USAGE.COLUMNS does."""
    from lineage_engine.exposure.masking import MaskingView, data_type_spans
    from lineage_engine.sources.snowflake_columns import fetch_tagged_column_types

    _tag(snow, "PII", "yes", "CUSTOMERS", None)  # on the table: every column's type matters
    _tag(snow, "PII", "email", "LEADS", "EMAIL")
    for table, column, data_type in (("CUSTOMERS", "EMAIL", "TEXT"), ("CUSTOMERS", "DOB", "DATE"),
                                     ("CUSTOMERS", "ID", "NUMBER"), ("LEADS", "EMAIL", "TEXT"),
                                     ("ORDERS", "AMOUNT", "NUMBER")):  # ORDERS carries no tag: not read
        _column(snow, table, column, data_type)
    _column(snow, "CUSTOMERS", "OLD", "TEXT", deleted=True)
    expected = {"prod_db.raw.customers.email": "VARCHAR", "prod_db.raw.customers.dob": "DATE",
                "prod_db.raw.customers.id": "NUMBER", "prod_db.raw.leads.email": "VARCHAR"}
    assert fetch_tagged_column_types(CONFIG) == expected

    config = tmp_path / "lineage-engine.config.yaml"
    config.write_text("telemetry: {provider: snowflake, account: acme-test, user: LINEAGE_SVC, "
                      "sync_policies: true}\ncompliance: {classification_db: 'sqlite:///registry.db'}\n")
    settings = load_settings(config)
    with Registry(f"sqlite:///{tmp_path}/registry.db") as registry:
        registry.migrate()
        assert sync_warehouse_policies(settings, registry, T1)
        assert sync_warehouse_policies(settings, registry, T1 + timedelta(minutes=5)) == 0  # idempotent
        view = MaskingView({}, column_types=data_type_spans(registry.fact_history(fact="data_type")))
        assert {c: view.column_type(c, T1 + timedelta(hours=1)) for c in expected} == expected
        assert view.column_type("prod_db.raw.customers.dob", T1 - timedelta(hours=1)) is None  # before the sync
        assert {f.origin for f in registry.fact_history(fact="data_type")} == {"columns"}

        snow.execute("DROP TABLE snowflake.account_usage.columns")  # the role lost OBJECT_VIEWER
        snow.execute("DELETE FROM snowflake.account_usage.tag_references WHERE object_name = 'LEADS'")
        assert sync_warehouse_policies(settings, registry, T2) == 1  # the tag ended; the types kept
        view = MaskingView({}, column_types=data_type_spans(registry.fact_history(fact="data_type")))
        assert view.column_type("prod_db.raw.customers.dob", T2 + timedelta(hours=1)) == "DATE"
    assert "column data types of tagged tables not synced" in caplog.text and "OBJECT_VIEWER" in caplog.text
    assert "hunter2" not in caplog.text


def test_policy_signatures_are_synced_for_tag_based_masking(snow: Any, tmp_path: Path) -> None:
    """Review s14 R9: a tag policy created before the crawled history had no known signature type, so
    every column the tag masks was reported. MASKING_POLICIES says it (first argument)."""
    from lineage_engine.exposure.masking import MaskingView, Span, data_type_spans
    from lineage_engine.sources.snowflake_policies import fetch_policy_signatures

    snow.execute("CREATE TABLE snowflake.account_usage.masking_policies (policy_name VARCHAR, policy_schema VARCHAR, "
                 "policy_catalog VARCHAR, policy_signature VARCHAR, policy_return_type VARCHAR, deleted TIMESTAMP_LTZ)")
    for name, signature, deleted in (("STR_MASK", "(VAL VARCHAR)", "NULL"), ("NUM_MASK", "(VAL NUMBER, COND VARCHAR)", "NULL"),
                                     ("OLD_MASK", "(VAL DATE)", "CURRENT_TIMESTAMP()")):
        snow.execute("INSERT INTO snowflake.account_usage.masking_policies (policy_name, policy_schema, policy_catalog, "
                     f"policy_signature, deleted) VALUES ('{name}', 'POLICIES', 'GOV', '{signature}', {deleted})")
    assert fetch_policy_signatures(CONFIG) == {"gov.policies.str_mask": "VARCHAR", "gov.policies.num_mask": "NUMBER"}

    _tag(snow, "PII", "yes", "CUSTOMERS", "EMAIL")
    _column(snow, "CUSTOMERS", "EMAIL", "TEXT")
    config = tmp_path / "lineage-engine.config.yaml"
    config.write_text("telemetry: {provider: snowflake, account: acme-test, user: LINEAGE_SVC, "
                      "sync_policies: true}\ncompliance: {classification_db: 'sqlite:///registry.db'}\n")
    with Registry(f"sqlite:///{tmp_path}/registry.db") as registry:
        registry.migrate()
        assert sync_warehouse_policies(load_settings(config), registry, T1)
        types = data_type_spans(registry.fact_history(fact="data_type"))
    view = MaskingView({}, tag_spans={"prod_db.raw.customers.email": [Span(T1, None, "str_mask")]}, column_types=types)
    assert view.policy_type("str_mask", T2) == "VARCHAR" and view.policy_type("num_mask", T2) == "NUMBER"
    assert view.is_masked("prod_db.raw.customers.email", T2)  # a VARCHAR column, a VARCHAR policy: masked
    assert view.policy_type("str_mask", T1 - timedelta(hours=1)) is None  # before the sync: not known
