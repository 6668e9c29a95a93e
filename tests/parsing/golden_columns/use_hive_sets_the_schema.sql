-- dialect: hive
use analytics;
insert overwrite table page_views select user_id, url from raw.clicks
