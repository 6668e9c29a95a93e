update mart.customers t
set email = s.email, score = s.score * 2
from raw.customer_changes s
where s.id = t.id
