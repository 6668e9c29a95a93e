create or replace table mart.customers as
select c.id, c.email as contact_email, c.created_at::date as created_on, cast(c.score as int) as score
from raw.customers c
