-- queries: true
select name, amount from raw.customers c join raw.orders o on c.id = o.customer_id
