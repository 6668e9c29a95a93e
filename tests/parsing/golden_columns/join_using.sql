create table mart.joined as
select id, a.email, b.phone
from raw.customers a
join raw.phones b using (id)
