create or replace view analytics.v_nested as
with customers as (select * from customers where active),
     recent as (
        with o as (select * from raw.orders where order_date > current_date - 7)
        select * from o join customers on o.customer_id = customers.id
     )
select * from recent
