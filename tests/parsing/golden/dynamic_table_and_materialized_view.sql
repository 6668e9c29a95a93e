create or replace dynamic table analytics.dt target_lag = '5 minutes' warehouse = wh as select * from raw.events;
create or replace materialized view analytics.mv as select id, count(*) as n from raw.events group by id;
drop dynamic table analytics.dt;
