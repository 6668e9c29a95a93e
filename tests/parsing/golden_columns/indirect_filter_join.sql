insert into mart.big_orders (order_id, customer_email)
select o.id, c.email
from raw.orders o
join raw.customers c on o.customer_id = c.id
where o.amount > 100 and c.deleted = false
