create table mart.customers_copy as
select * from raw.customers
