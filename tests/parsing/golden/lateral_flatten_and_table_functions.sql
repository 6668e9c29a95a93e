create or replace table analytics.event_items as
select e.id, f.value:sku::string as sku, g.value
from raw.events e,
     lateral flatten(input => e.payload:items) f,
     table(flatten(input => parse_json(e.extra))) g,
     table(PROD_DB.udfs.expand_tags(e.tags)) t
