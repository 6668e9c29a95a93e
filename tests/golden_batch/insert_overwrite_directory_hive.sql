-- dialect: hive
-- defaults: - warehouse
INSERT OVERWRITE DIRECTORY 'hdfs://namenode/exports/customers'
SELECT id, email FROM customers;
INSERT OVERWRITE LOCAL DIRECTORY '/tmp/customers'
SELECT id FROM customers
