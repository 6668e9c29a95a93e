-- dialect: bigquery
CREATE PROCEDURE `my-proj`.etl.copy_orders()
BEGIN
INSERT INTO `my-proj.mart.orders` (id, amount)
SELECT id, amount FROM `my-proj.raw.orders`;
END
