truncate table PROD_DB.raw.scratch;
delete from PROD_DB.raw.scratch_2;
delete from PROD_DB.raw.scratch_3 where loaded_at < current_date - 7;
insert into PROD_DB.raw.scratch select * from PROD_DB.raw.landing;
