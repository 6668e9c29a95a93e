-- dialect: snowflake
-- defaults: prod sales
CREATE OR REPLACE STREAM orders_changes ON TABLE raw.orders APPEND_ONLY = TRUE;
CREATE OR REPLACE TASK load_orders WAREHOUSE = etl SCHEDULE = '5 minute'
  WHEN SYSTEM$STREAM_HAS_DATA('orders_changes')
  AS INSERT INTO mart.orders (id, email) SELECT id, email FROM orders_changes
