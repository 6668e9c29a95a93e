-- The exact END_TIME of one QUERY_HISTORY row: resolves a stored watermark to a nanosecond keyset.
-- Bind parameters only (pyformat):
--   %(query_id)s                 the watermark's QUERY_ID
--   %(near_start)s, %(near_end)s aware UTC datetimes around the watermark's END_TIME (the driver's value,
--                                within a microsecond of the exact one): pruning, so one row is read
SELECT DATE_PART(epoch_nanosecond, end_time) AS end_time_ns
FROM snowflake.account_usage.query_history
WHERE end_time >= %(near_start)s
  AND end_time < %(near_end)s
  AND query_id = %(query_id)s
LIMIT 1
