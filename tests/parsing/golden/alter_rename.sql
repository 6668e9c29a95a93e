alter table PROD_DB.raw.customers_new rename to PROD_DB.raw.customers
