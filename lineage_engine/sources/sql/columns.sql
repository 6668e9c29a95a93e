-- Columns of every live table and view, from ACCOUNT_USAGE.COLUMNS: one statement for every database.
-- Bind parameters only (pyformat):
--   %(all_databases)s   TRUE: every database; FALSE: only those in %(databases)s
--   %(databases)s       list of upper-case database names (a one-item placeholder [''] when all_databases:
--                       the driver renders an empty list as IN (), which is not SQL)
-- DELETED is set on the rows of dropped columns and tables; only live ones are read.
-- Sorted so that a table's columns arrive together and in ORDINAL_POSITION order: the loader streams.
SELECT table_catalog,
       table_schema,
       table_name,
       column_name,
       ordinal_position
FROM snowflake.account_usage.columns
WHERE deleted IS NULL
  AND table_schema <> 'INFORMATION_SCHEMA'
  AND (%(all_databases)s OR UPPER(table_catalog) IN (%(databases)s))
ORDER BY table_catalog, table_schema, table_name, ordinal_position
