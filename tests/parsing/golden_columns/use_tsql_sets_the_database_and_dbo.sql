-- dialect: tsql
USE Sales;
INSERT INTO Orders (Id, Amount) SELECT Id, Amount FROM Staging.Orders
