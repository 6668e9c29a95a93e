select c.customer_id, c.email, c.full_name, k.country_name
from {{ ref('int_customers') }} c
join {{ ref('countries') }} k on k.country_code = c.country_code
