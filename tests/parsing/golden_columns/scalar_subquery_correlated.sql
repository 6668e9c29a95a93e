create table mart.customer_orders as
select c.id, (select max(o.amount) from raw.orders o where o.customer_id = c.id) as max_amount
from raw.customers c
