drop view if exists PROD_DB.analytics.orders_daily__dbt_tmp cascade
/* {"app": "dbt", "node_id": "model.shop.orders_daily"} */
