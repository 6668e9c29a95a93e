create table mart.mixed as
select a.id, email
from raw.customers a
join raw.prospects b on a.id = b.id
