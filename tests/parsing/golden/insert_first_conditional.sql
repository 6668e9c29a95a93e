insert overwrite first
  when amount > 1000 then into analytics.big_orders
  when amount > 10 then into analytics.mid_orders
  else into analytics.small_orders
select * from raw.orders o where exists (select 1 from raw.customers c where c.id = o.customer_id)
