create table mart.names as
select first_name || ' ' || last_name as full_name, upper(full_name) as full_name_upper
from raw.customers
