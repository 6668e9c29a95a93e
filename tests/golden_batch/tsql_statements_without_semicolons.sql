-- dialect: tsql
-- defaults: dw dbo
insert into stage.orders select * from raw.orders
update stage.orders set region = r.name from stage.orders o join ref.regions r on o.region_id = r.id
GO
merge into mart.orders as t using stage.orders as s on t.id = s.id
when matched then update set amount = s.amount
when not matched then insert (id, amount) values (s.id, s.amount)
