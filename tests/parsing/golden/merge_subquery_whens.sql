merge into analytics.balances t
using (select account_id, sum(amount) as amount from raw.payments group by 1) s
on t.account_id = s.account_id
when matched and t.frozen = false then update set t.amount = t.amount + s.amount,
     t.limit = (select max(l.amount) from raw.limits l where l.account_id = s.account_id)
when not matched then insert (account_id, amount) values (s.account_id, s.amount);
