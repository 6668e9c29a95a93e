{{ config(materialized='view') }}
select id as customer_id, email, full_name, country_code
from {{ source('raw', 'customers') }}
