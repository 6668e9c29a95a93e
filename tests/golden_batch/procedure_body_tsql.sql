-- dialect: tsql
-- defaults: dw dbo
CREATE PROCEDURE etl.load_customers @since DATE
AS
BEGIN
INSERT INTO stage.customers (id, email)
SELECT c.id, c.email FROM raw.customers AS c WHERE c.updated_at >= @since;
INSERT INTO mart.contacts (id, email)
SELECT s.id, s.email FROM stage.customers AS s;
END
