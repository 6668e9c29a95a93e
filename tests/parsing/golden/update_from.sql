update analytics.customers c
set segment = s.segment
from analytics.segments s
where c.id = s.customer_id and s.updated_at > '2026-01-01'
