merge into PROD_DB.MART.CUSTOMERS as DBT_INTERNAL_DEST
        using PROD_DB.MART.CUSTOMERS__dbt_tmp as DBT_INTERNAL_SOURCE
        on (DBT_INTERNAL_SOURCE.id = DBT_INTERNAL_DEST.id)
    when matched then update set
        "ID" = DBT_INTERNAL_SOURCE."ID","EMAIL" = DBT_INTERNAL_SOURCE."EMAIL"
    when not matched then insert
        ("ID", "EMAIL")
    values
        ("ID", "EMAIL")
