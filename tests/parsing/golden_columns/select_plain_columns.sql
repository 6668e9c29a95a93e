-- queries: true
select c.id, sum(o.amount) as total, count(*) as orders, sha2(c.email) as email_hash
from raw.customers c join raw.orders o on c.id = o.customer_id
where o.status = 'paid'
group by c.id, c.email
