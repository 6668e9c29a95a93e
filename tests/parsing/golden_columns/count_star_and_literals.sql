create table mart.stats as
select count(*) as n, 'fixed' as label, current_timestamp() as at, count(*)
from raw.customers
