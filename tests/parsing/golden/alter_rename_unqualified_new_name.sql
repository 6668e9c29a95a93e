alter table PROD_DB.staging.customers rename to customers_old
