-- dialect: databricks
use catalog main;
use sales;
create table daily as select id, amount from orders;
use schema other.mart;
insert into totals select id from daily
