insert all
  into analytics.big_orders
  into analytics.order_archive (id, amount) values (id, amount)
select id, amount from raw.orders
