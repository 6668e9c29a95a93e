create temporary table mart.stage as select id, email from raw.customers;
insert into mart.contacts select * from mart.stage
