"""``SNOWFLAKE.ACCOUNT_USAGE.COLUMNS`` in fakesnow, filled from real tables' INFORMATION_SCHEMA.

fakesnow has no Account Usage views; it does keep ``<db>.INFORMATION_SCHEMA.COLUMNS`` for the
tables a test creates. :func:`sync_account_usage_columns` copies those rows into an
``ACCOUNT_USAGE.COLUMNS`` table of the documented shape, as Snowflake does (with its latency),
so a test creates real tables and the loader reads them through the view it reads in production.
"""

from __future__ import annotations

from typing import Any

ACCOUNT_USAGE_COLUMNS_DDL = """
CREATE TABLE IF NOT EXISTS snowflake.account_usage.columns (
  column_id NUMBER, column_name VARCHAR, table_id NUMBER, table_name VARCHAR, table_schema_id NUMBER,
  table_schema VARCHAR, table_catalog_id NUMBER, table_catalog VARCHAR, ordinal_position NUMBER,
  is_nullable VARCHAR, data_type VARCHAR, deleted TIMESTAMP_LTZ)
"""


def create_columns_view(cursor: Any) -> None:
    """Create the SNOWFLAKE database, ACCOUNT_USAGE schema and the COLUMNS table (empty)."""
    cursor.execute("CREATE DATABASE IF NOT EXISTS snowflake")
    cursor.execute("CREATE SCHEMA IF NOT EXISTS snowflake.account_usage")
    cursor.execute(ACCOUNT_USAGE_COLUMNS_DDL)


def sync_account_usage_columns(cursor: Any, database: str) -> int:
    """Copy ``<database>.INFORMATION_SCHEMA.COLUMNS`` into ACCOUNT_USAGE.COLUMNS; return rows copied.

    Rows already copied for the database are marked dropped (``DELETED``), like Snowflake
    keeps a dropped or replaced table's old rows, so a re-sync shows the current shape.
    """
    cursor.execute("UPDATE snowflake.account_usage.columns SET deleted = CURRENT_TIMESTAMP() "
                   "WHERE table_catalog = %(db)s AND deleted IS NULL", {"db": database.upper()})
    cursor.execute(
        f"""INSERT INTO snowflake.account_usage.columns
              (column_name, table_name, table_schema, table_catalog, ordinal_position, is_nullable, data_type)
            SELECT column_name, table_name, table_schema, table_catalog, ordinal_position, is_nullable, data_type
            FROM {database}.information_schema.columns
            WHERE table_schema <> 'INFORMATION_SCHEMA'"""  # noqa: S608 - a test's own database name
    )
    cursor.execute("SELECT COUNT(*) FROM snowflake.account_usage.columns WHERE table_catalog = %(db)s "
                   "AND deleted IS NULL", {"db": database.upper()})
    return int(cursor.fetchone()[0])
