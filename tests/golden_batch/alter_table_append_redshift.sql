-- dialect: redshift
-- defaults: dev public
ALTER TABLE sales APPEND FROM sales_staging FILLTARGET
