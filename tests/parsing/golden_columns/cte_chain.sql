create or replace table mart.customer_360 as
with base as (
    select id, email, country from raw.customers
), orders as (
    select customer_id, sum(amount) as total from raw.orders group by customer_id
), joined as (
    select b.id, b.email, o.total from base b left join orders o on o.customer_id = b.id
)
select id, email, total from joined
