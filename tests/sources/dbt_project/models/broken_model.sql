select cast(email as integer) as email_number, email from {{ ref('stg_customers') }}
