-- queries: true
-- schema: {"prod_db.raw.orders": ["id", "customer_id", "amount"]}
with recent as (select * from raw.orders where amount > 0)
select r.customer_id, (select max(amount) from recent) as top from recent r
