create or replace view analytics.all_orders as
select id from raw.orders_eu union all select id from raw.orders_us union select id from raw.orders_eu
