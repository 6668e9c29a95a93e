-- ACCOUNT_USAGE.ACCESS_HISTORY records of given statements (reference §3; Enterprise Edition).
-- Bind parameters only (pyformat):
--   %(start_floor)s, %(start_ceiling)s  aware UTC datetimes bounding QUERY_START_TIME, for pruning
--   %(query_ids)s                       list of QUERY_IDs (one QUERY_HISTORY page)
-- OBJECTS_MODIFIED carries, per written object and column, directSources (column lineage);
-- DIRECT_OBJECTS_ACCESSED the objects named in the SQL, BASE_OBJECTS_ACCESSED the underlying tables (reads,
-- issue 14). VARIANT values come back as JSON text.
SELECT query_id,
       objects_modified,
       direct_objects_accessed,
       base_objects_accessed
FROM snowflake.account_usage.access_history
WHERE query_start_time >= %(start_floor)s
  AND query_start_time < %(start_ceiling)s
  AND query_id IN (%(query_ids)s)
