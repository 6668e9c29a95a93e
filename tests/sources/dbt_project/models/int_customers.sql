{{ config(materialized='ephemeral') }}
select customer_id, lower(email) as email, full_name, country_code from {{ ref('stg_customers') }}
