-- schema: {"prod_db.raw.customers": ["id", "name"], "prod_db.raw.prospects": ["id", "email"]}
create table mart.mixed as
select a.id, email
from raw.customers a
join raw.prospects b on a.id = b.id
