create table PROD_DB.analytics.orders__intermediate_tmp as select * from PROD_DB.raw.orders;
create table PROD_DB.fivetran_salesforce_staging.accounts as select * from PROD_DB.raw.accounts;
create table PROD_DB.analytics.ge_tmp_1a2b3c4d as select * from PROD_DB.raw.orders;
create table PROD_DB.analytics.orders_tmp as select * from PROD_DB.raw.orders;
