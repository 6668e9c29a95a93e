insert into mart.totals (id, total)
select n.id, n.amount + coalesce(t.total, 0)
from raw.new_amounts n
left join mart.totals t on t.id = n.id
