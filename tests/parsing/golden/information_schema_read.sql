create or replace view analytics.table_inventory as
select t.table_name, c.cnt from PROD_DB.information_schema.tables t join raw.counts c on c.name = t.table_name
