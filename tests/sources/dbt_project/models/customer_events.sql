{{ config(materialized='incremental', unique_key='customer_id') }}
select customer_id, email, current_timestamp as loaded_at from {{ ref('customer_360') }}
{% if is_incremental() %}
where customer_id > (select coalesce(max(customer_id), 0) from {{ this }})
{% endif %}
