create or replace temporary table PROD_DB.analytics.orders_daily__dbt_tmp
    as
    (
        select * from PROD_DB.raw.orders o join PROD_DB.raw.customers c on o.customer_id = c.id
    );
