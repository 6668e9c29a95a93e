create or replace table analytics.stake_tree as
with base as (select * from raw.stake_accounts),
tree as (
    select stake_account, parent, 0 as depth from base
    union all
    select b.stake_account, b.parent, t.depth + 1 from tree t join base b on t.parent = b.stake_account
)
select * from tree
