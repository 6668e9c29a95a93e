create table mart.latest_orders as
select id, customer_id, amount, row_number() over (partition by customer_id order by ordered_at desc) as rn
from raw.orders
qualify rn = 1
