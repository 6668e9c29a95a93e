-- dialect: mysql
-- defaults: - shop
REPLACE INTO customer_emails (id, email) SELECT c.id, c.email FROM customers AS c WHERE c.active = 1;
REPLACE customer_flags (id, flag) VALUES (1, 'x')
