create or replace hybrid table analytics.h (id int primary key) as select id from raw.ids;
alter dynamic table analytics.dt rename to analytics.dt_v2;
alter materialized view analytics.mv rename to analytics.mv_v2;
drop external table analytics.ext_clicks;
create global temporary table analytics.g as select * from raw.g;
