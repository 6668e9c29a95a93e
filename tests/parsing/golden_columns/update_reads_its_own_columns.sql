update raw.accounts set balance = balance + 10, notes = email where id = 7;
update raw.accounts a set tier = 'gold' from raw.scores s where a.id = s.account_id and s.score > 90
