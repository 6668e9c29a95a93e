create or replace transient table PROD_DB.analytics.customer_360
    copy grants
    as
    (
with orders as (
    select customer_id, sum(amount) as total from PROD_DB.raw.orders group by 1
)
select c.*, o.total
from PROD_DB.raw.customers c
left join orders o on o.customer_id = c.id
where c.email <> 'test@example.com'
    )
/* {"app": "dbt", "node_id": "model.shop.customer_360"} */;
