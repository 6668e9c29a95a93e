-- dialect: snowflake
-- defaults: prod public
CREATE OR REPLACE PROCEDURE load_orders()
RETURNS VARCHAR
LANGUAGE SQL
AS
$$
BEGIN
  INSERT INTO mart.orders SELECT * FROM raw.orders;
  RETURN 'done';
END;
$$
