create or replace table analytics.latest_address as
select * from (
    select a.*, row_number() over (partition by customer_id order by updated_at desc) rn
    from raw.addresses a
    where exists (select 1 from raw.customers c where c.id = a.customer_id)
)
qualify rn = 1
