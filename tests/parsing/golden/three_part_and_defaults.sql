-- golden: database=SHOP schema=STAGING
create table orders_enriched as
select * from orders o join raw.customers c on c.id = o.customer_id join OTHER_DB.ref.countries k on k.code = c.country
