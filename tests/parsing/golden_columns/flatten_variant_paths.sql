create or replace view mart.events_flat as
select
    e.id,
    e.payload:user.email::string as user_email,
    f.value:sku::string as sku,
    f.index as position
from raw.events e,
    lateral flatten(input => e.payload:items) f
