-- dialect: databricks
create table identifier('main.sales.daily') as select id, amount from identifier('main.raw.`order lines`');
insert into identifier('main.sales.totals') select id from identifier(:source_table)
