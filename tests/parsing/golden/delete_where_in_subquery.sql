delete from PROD_DB.analytics.events as DBT_INTERNAL_DEST
            where (event_id) in (
                select distinct event_id
                from PROD_DB.analytics.events__dbt_tmp as DBT_INTERNAL_SOURCE
            );
