merge into PROD_DB.analytics.orders_daily as DBT_INTERNAL_DEST
        using PROD_DB.analytics.orders_daily__dbt_tmp as DBT_INTERNAL_SOURCE
        on ((DBT_INTERNAL_DEST.order_date >= '2026-01-01') and (DBT_INTERNAL_SOURCE.order_date = DBT_INTERNAL_DEST.order_date))
    when matched then update set
        "ORDER_DATE" = DBT_INTERNAL_SOURCE."ORDER_DATE","N" = DBT_INTERNAL_SOURCE."N"
    when not matched then insert
        ("ORDER_DATE", "N")
    values
        ("ORDER_DATE", "N")
/* {"app": "dbt", "node_id": "model.shop.orders_daily"} */;
