-- dialect: postgres
-- defaults: - public
drop table my_schema.my_table_a, my_schema.my_table_b;
alter table orders add column note text;
alter table orders rename to orders_old
