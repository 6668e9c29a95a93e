create table mart.contacts as
select id, sha2(email) as email from raw.customers
union all
select id, email from raw.prospects
