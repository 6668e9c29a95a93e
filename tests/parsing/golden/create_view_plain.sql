create view analytics.v_orders as select * from raw.orders where amount > 100
