-- schema: {"prod_db.raw.customers": ["id", "email"]}
create table mart.customers_backup clone raw.customers;
create table mart.events_backup clone raw.events
