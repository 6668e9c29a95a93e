create or replace transient table PROD_DB.silver.swaps copy grants as (
    select * from (
        select s.*, p.price from PROD_DB.silver.raw_swaps s join PROD_DB.price.hourly p on p.hour = date_trunc('hour', s.ts)
    ) order by (block_timestamp::DATE)
);
alter table PROD_DB.silver.swaps cluster by (block_timestamp::DATE);
