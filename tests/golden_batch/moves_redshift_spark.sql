-- dialect: spark
-- defaults: - sales
CACHE TABLE recent AS SELECT id, amount FROM orders WHERE dt > '2024-01-01';
INSERT INTO summary SELECT id, amount FROM recent
