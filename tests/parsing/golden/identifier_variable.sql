create table analytics.from_var as select * from identifier($source_table)
