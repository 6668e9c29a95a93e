"""telemetry.sync_grants against fakesnow: GRANTS_TO_ROLES and GRANTS_TO_USERS -> dated grant facts (issue 14 §3)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import fakesnow
import pytest
import snowflake.connector

from lineage_engine.access.readers import who_can_read
from lineage_engine.access.service import sync_grants
from lineage_engine.registry import Registry
from lineage_engine.settings import load_settings
from lineage_engine.sources.snowflake_connection import SnowflakeConnectionConfig
from lineage_engine.sources.snowflake_grants import fetch_grants

pytestmark = pytest.mark.filterwarnings("ignore:Arrow output:UserWarning")

CONFIG = SnowflakeConnectionConfig(account="acme-test", user="LINEAGE_SVC", role="LINEAGE_OBSERVER",
                                   password="hunter2-secret", query_tag="lineage-svc")
T1 = datetime(2026, 3, 2, 9, tzinfo=timezone.utc)
T2 = T1 + timedelta(days=2)
# The documented columns (docs.snowflake.com, account-usage/grants_to_roles, grants_to_users).
ROLES_DDL = """CREATE TABLE snowflake.account_usage.grants_to_roles (
  created_on TIMESTAMP_LTZ, modified_on TIMESTAMP_LTZ, privilege VARCHAR, granted_on VARCHAR, name VARCHAR,
  table_catalog VARCHAR, table_schema VARCHAR, granted_to VARCHAR, grantee_name VARCHAR, grant_option BOOLEAN,
  granted_by VARCHAR, deleted_on TIMESTAMP_LTZ, granted_by_role_type VARCHAR, object_instance VARCHAR)"""
USERS_DDL = """CREATE TABLE snowflake.account_usage.grants_to_users (
  created_on TIMESTAMP_LTZ, deleted_on TIMESTAMP_LTZ, role VARCHAR, granted_to VARCHAR, grantee_name VARCHAR,
  granted_by VARCHAR)"""


@pytest.fixture
def snow() -> Iterator[Any]:
    with fakesnow.patch():
        conn = snowflake.connector.connect(database="SNOWFLAKE", schema="ACCOUNT_USAGE")
        cursor = conn.cursor()
        cursor.execute("CREATE DATABASE IF NOT EXISTS snowflake")
        cursor.execute("CREATE SCHEMA IF NOT EXISTS snowflake.account_usage")
        cursor.execute(ROLES_DDL)
        cursor.execute(USERS_DDL)
        yield cursor
        conn.close()


def _role_grant(cursor: Any, privilege: str, on: str, name: str, catalog: str | None, schema: str | None,
                grantee: str, created: datetime, deleted: datetime | None = None, to: str = "ROLE") -> None:
    cursor.execute(
        "INSERT INTO snowflake.account_usage.grants_to_roles (created_on, privilege, granted_on, name, table_catalog, "
        "table_schema, granted_to, grantee_name, deleted_on) VALUES (%(c)s, %(p)s, %(o)s, %(n)s, %(db)s, %(s)s, "
        "%(t)s, %(g)s, %(d)s)",
        {"c": created, "p": privilege, "o": on, "n": name, "db": catalog, "s": schema, "t": to, "g": grantee,
         "d": deleted})


def test_sync_reads_both_views_into_dated_facts(snow: Any, tmp_path: Path) -> None:
    _role_grant(snow, "SELECT", "TABLE", "CUSTOMERS", "PROD_DB", "RAW", "ANALYST", T1)
    _role_grant(snow, "SELECT", "TABLE", "CUSTOMERS", "PROD_DB", "RAW", "PUBLIC", T1, deleted=T2)
    _role_grant(snow, "USAGE", "ROLE", "ANALYST", None, None, "BI", T1)
    _role_grant(snow, "REBUILD", "TABLE", "NEVER_SEEN", "PROD_DB", "RAW", "ODD", T1)  # kept as written
    snow.execute("INSERT INTO snowflake.account_usage.grants_to_users (created_on, role, granted_to, grantee_name) "
                 "VALUES (%(c)s, 'BI', 'USER', 'BOB')", {"c": T1})
    facts = fetch_grants(CONFIG)
    assert {(f.privilege, f.object_id, f.grantee_kind, f.grantee, f.valid_to) for f in facts} == {
        ("SELECT", "prod_db.raw.customers", "ROLE", "ANALYST", None),
        ("SELECT", "prod_db.raw.customers", "ROLE", "PUBLIC", T2),
        ("USAGE", "ANALYST", "ROLE", "BI", None),
        ("REBUILD", "prod_db.raw.never_seen", "ROLE", "ODD", None),
        ("USAGE", "BI", "USER", "BOB", None),
    }
    registry = Registry(f"sqlite:///{tmp_path / 'registry.db'}")
    registry.migrate()
    try:
        config = tmp_path / "c.yaml"
        config.write_text("telemetry: {provider: snowflake, account: acme-test, user: LINEAGE_SVC, "
                          "password: pw, sync_grants: true}\n", encoding="utf-8")
        settings = load_settings(config)
        assert sync_grants(settings, registry, fetch=lambda _c: facts) == 5
        assert sync_grants(settings, registry, fetch=lambda _c: facts) == 0  # a second sync changes nothing
        during = who_can_read("prod_db.raw.customers", registry.grants_at(T1 + timedelta(days=1)), broad_members=10)
        assert {(r.kind, r.name) for r in during} == {("role", "ANALYST"), ("role", "BI"), ("user", "BOB"),
                                                      ("role", "PUBLIC"), ("everyone", "PUBLIC")}
        after = who_can_read("prod_db.raw.customers", registry.grants_at(T2), broad_members=10)
        assert ("everyone", "PUBLIC") not in {(r.kind, r.name) for r in after}
    finally:
        registry.close()


def test_sync_grants_needs_an_account(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text("telemetry: {provider: file, sync_grants: true}\n", encoding="utf-8")
    with pytest.raises(Exception, match="sync_grants"):
        load_settings(config)
