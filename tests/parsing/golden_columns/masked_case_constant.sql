create or replace view mart.customers_masked as
select
    case when is_role_in_session('PII_READER') then email else '***MASKED***' end as email,
    iff(current_role() = 'ADMIN', phone, 'REDACTED') as phone,
    case when status = 1 then name else 'unknown' end as display_name
from raw.customers
