create or replace temporary view PROD_DB.analytics.orders_daily__dbt_tmp
  as (
    select order_date, count(*) as n from PROD_DB.raw.orders
    where order_date >= '2026-01-01'
    group by 1
  );
