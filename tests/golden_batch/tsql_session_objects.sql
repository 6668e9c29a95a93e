-- dialect: tsql
-- defaults: dw dbo
SELECT c.id, c.email INTO #stage FROM dbo.customers AS c WHERE c.active = 1;
DECLARE @ids TABLE (id int);
INSERT INTO @ids SELECT o.customer_id FROM dbo.orders AS o;
INSERT INTO dbo.export (id, email) SELECT s.id, s.email FROM #stage AS s JOIN @ids AS i ON s.id = i.id;
SELECT id INTO ##shared FROM dbo.customers
