-- schema: {"prod_db.raw.customers": ["id", "email", "ssn"]}
create table mart.customers_copy as
select * exclude (ssn) from raw.customers
