-- Tags set on tables, views and columns, from ACCOUNT_USAGE.TAG_REFERENCES (telemetry.sync_policies;
-- issue 10 §2). No bind parameters. Direct tags only (no inheritance); rows of dropped objects carry
-- OBJECT_DELETED and are left out. DOMAIN is TABLE or COLUMN for what this reads.
SELECT tag_database,
       tag_schema,
       tag_name,
       tag_value,
       object_database,
       object_schema,
       object_name,
       column_name
FROM snowflake.account_usage.tag_references
WHERE object_deleted IS NULL
  AND domain IN ('TABLE', 'COLUMN')
ORDER BY object_database, object_schema, object_name, column_name, tag_database, tag_schema, tag_name
