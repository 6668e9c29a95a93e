merge into mart.customers t
using (select id, email, max(updated_at) as updated_at from raw.customer_changes group by id, email) s
on t.id = s.id
when matched and s.updated_at > t.updated_at then update set t.email = s.email, t.updated_at = s.updated_at
when not matched then insert (id, email, updated_at) values (s.id, sha2(s.email), s.updated_at)
