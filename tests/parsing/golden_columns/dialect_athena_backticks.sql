-- dialect: athena
INSERT INTO `analytics`.`daily_orders`
SELECT `o`.`order_id`, `o`.`amount` AS `total`, "c"."region"
FROM `sales`.`orders` AS `o` JOIN "sales"."customers" AS "c" ON `o`.`customer_id` = "c"."id"
WHERE `o`.`note` <> 'has `backticks` inside'
