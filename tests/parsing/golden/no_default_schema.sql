-- golden: database= schema=
create table orders_copy as select * from orders
