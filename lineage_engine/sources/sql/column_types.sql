-- Data types of the columns of tagged tables and views, from ACCOUNT_USAGE.COLUMNS (telemetry.sync_policies;
-- tag-based masking protects only the columns whose type is the policy's: review O1). No bind parameters.
-- Only tables with a live tag of their own or on a column (TAG_REFERENCES, which lists tags however they
-- were set) are read: the type of an untagged column decides nothing. DELETED is set on dropped columns.
SELECT c.table_catalog,
       c.table_schema,
       c.table_name,
       c.column_name,
       c.data_type
FROM snowflake.account_usage.columns c
WHERE c.deleted IS NULL
  AND EXISTS (SELECT 1
              FROM snowflake.account_usage.tag_references t
              WHERE t.object_deleted IS NULL
                AND t.domain IN ('TABLE', 'COLUMN')
                AND t.object_database = c.table_catalog
                AND t.object_schema = c.table_schema
                AND t.object_name = c.table_name)
ORDER BY c.table_catalog, c.table_schema, c.table_name, c.column_name
