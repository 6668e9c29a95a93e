-- One keyset page of finished statements from ACCOUNT_USAGE.QUERY_HISTORY (reference §6).
-- Bind parameters only (pyformat; a literal percent sign would be written %%):
--   %(win_start)s, %(win_end)s   aware UTC datetimes: the END_TIME range [win_start, win_end)
--   %(start_floor)s              aware UTC datetime: START_TIME floor for pruning (win_start - 1 day)
--   %(query_types)s              list of QUERY_TYPE names worth parsing (pushdown of should_parse)
--   %(classified)s               list of every QUERY_TYPE name the crawl has classified: a row of any other
--                                type is read too, so the crawl counts it and quarantines it (never skipped silently)
--   %(own_user)s                 the service's user (NULL: none); its statements are never lineage
--   %(own_tag_prefix)s           lower-case prefix of the service's QUERY_TAG (NULL: none), e.g. 'lineage-svc'
--   %(after_floor)s              aware UTC datetime at or before the keyset position (pruning only)
--   %(after_ns)s, %(after_id)s   keyset position: rows strictly after (END_TIME, QUERY_ID), END_TIME as
--                                integer nanoseconds since the epoch (exact; the driver's datetimes
--                                stop at microseconds while Snowflake orders by nanoseconds)
--   %(page_size)s                rows per page
-- Governance statements (ALTER … SET|UNSET MASKING POLICY / TAG, ADD|DROP ROW ACCESS POLICY, CREATE MASKING POLICY)
-- are read whatever their QUERY_TYPE (Snowflake publishes no list of its names): they become dated registry facts;
-- so are share and function statements (CREATE | ALTER | DROP SHARE, CREATE EXTERNAL FUNCTION): egress facts (issue 14).
-- The session runs with TIMEZONE=UTC, so TIMESTAMP_LTZ values come back in UTC.
-- END_TIME_NS is the exact keyset value of each row; END_TIME is kept for the records.
SELECT query_id,
       query_text,
       query_type,
       start_time,
       end_time,
       DATE_PART(epoch_nanosecond, end_time) AS end_time_ns,
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
  AND (query_type IN (%(query_types)s)
       OR query_type NOT IN (%(classified)s)
       OR (query_type NOT IN ('SELECT', 'SHOW', 'DESCRIBE', 'ALTER_SESSION', 'USE')
           AND (query_text ILIKE '%%masking polic%%' OR query_text ILIKE '%%row access polic%%'
                OR query_text ILIKE '%%set tag%%' OR query_text ILIKE '%%share%%'
                OR query_text ILIKE '%%function%%')))
  AND (%(own_user)s IS NULL OR UPPER(COALESCE(user_name, '')) <> UPPER(%(own_user)s))
  AND (%(own_tag_prefix)s IS NULL OR NOT STARTSWITH(LOWER(COALESCE(query_tag, '')), %(own_tag_prefix)s))
  AND end_time >= %(after_floor)s
  AND (DATE_PART(epoch_nanosecond, end_time) > %(after_ns)s
       OR (DATE_PART(epoch_nanosecond, end_time) = %(after_ns)s AND query_id > %(after_id)s))
ORDER BY end_time, query_id
LIMIT %(page_size)s
