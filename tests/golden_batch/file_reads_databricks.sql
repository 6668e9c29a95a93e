-- dialect: databricks
-- defaults: main sales
INSERT INTO orders_copy SELECT id, amount FROM delta.`s3://lake-bucket/orders/2024/`;
INSERT INTO orders_raw SELECT * FROM parquet.`examples/src/main/resources/`;
SELECT * FROM parquet.orders_archive
