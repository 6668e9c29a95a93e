begin;
delete from PROD_DB.analytics.events as DBT_INTERNAL_DEST
    using PROD_DB.analytics.events__dbt_tmp as DBT_INTERNAL_SOURCE
    where (DBT_INTERNAL_SOURCE.event_id = DBT_INTERNAL_DEST.event_id);
insert into PROD_DB.analytics.events ("EVENT_ID", "PAYLOAD")
    (
        select "EVENT_ID", "PAYLOAD"
        from PROD_DB.analytics.events__dbt_tmp
    );
commit;
