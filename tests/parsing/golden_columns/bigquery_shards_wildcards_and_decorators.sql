-- dialect: bigquery
-- schema: {"my-proj.analytics.events_yyyymmdd": ["user_id", "event_name"]}
insert into `my-proj.analytics.daily_users$20230101` (user_id)
select user_id from `my-proj.analytics.events_20230101`
union all
select user_id from `my-proj.analytics.events_2023*` where _table_suffix between '0101' and '0131'
