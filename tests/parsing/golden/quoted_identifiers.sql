create table "Prod_Db"."Raw"."Customer Profiles" as
select * from "Prod_Db"."Raw"."crm_export" join PROD_DB."RAW".ADDRESSES using (id)
