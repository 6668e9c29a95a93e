-- One keyset page of finished statements from ACCOUNT_USAGE.QUERY_HISTORY (reference §6).
-- Bind parameters only (pyformat; a literal percent sign would be written %%):
--   %(win_start)s, %(win_end)s   aware UTC datetimes: the END_TIME range [win_start, win_end)
--   %(start_floor)s              aware UTC datetime: START_TIME floor for pruning (win_start - 1 day)
--   %(query_types)s              list of QUERY_TYPE names worth parsing (pushdown of should_parse)
--   %(own_user)s                 the service's user (NULL: none); its statements are never lineage
--   %(own_tag_prefix)s           lower-case prefix of the service's QUERY_TAG (NULL: none), e.g. 'lineage-svc'
--   %(after_end)s, %(after_id)s  keyset position: rows strictly after (END_TIME, QUERY_ID)
--   %(page_size)s                rows per page
-- The session runs with TIMEZONE=UTC, so TIMESTAMP_LTZ values come back in UTC.
SELECT query_id,
       query_text,
       query_type,
       start_time,
       end_time,
       execution_status,
       database_name,
       schema_name,
       session_id,
       user_name,
       role_name,
       warehouse_name,
       query_tag,
       query_parameterized_hash
FROM snowflake.account_usage.query_history
WHERE end_time >= %(win_start)s
  AND end_time < %(win_end)s
  AND start_time >= %(start_floor)s
  AND execution_status = 'SUCCESS'
  AND query_type IN (%(query_types)s)
  AND (%(own_user)s IS NULL OR UPPER(COALESCE(user_name, '')) <> UPPER(%(own_user)s))
  AND (%(own_tag_prefix)s IS NULL OR NOT STARTSWITH(LOWER(COALESCE(query_tag, '')), %(own_tag_prefix)s))
  AND (end_time > %(after_end)s OR (end_time = %(after_end)s AND query_id > %(after_id)s))
ORDER BY end_time, query_id
LIMIT %(page_size)s
