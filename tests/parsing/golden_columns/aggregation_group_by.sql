create table mart.orders_by_country as
select country, count(*) as orders, sum(amount) as revenue, max(email) as last_email, count(distinct customer_id) as buyers
from raw.orders
group by country
having sum(amount) > 0
