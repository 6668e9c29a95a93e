insert all
    when amount > 1000 then into mart.big_orders (order_id, buyer) values (id, email)
    else into mart.small_orders
select id, email, amount from raw.orders
