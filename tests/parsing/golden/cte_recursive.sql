create or replace table analytics.org_chart as
with recursive chain (id, manager_id, depth) as (
    select id, manager_id, 0 from raw.employees where manager_id is null
    union all
    select e.id, e.manager_id, c.depth + 1 from raw.employees e join chain c on e.manager_id = c.id
)
select * from chain
