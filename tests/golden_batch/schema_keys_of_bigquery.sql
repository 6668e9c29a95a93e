-- dialect: bigquery
-- defaults: my-proj -
-- schema: {"`my-proj`.dataset.table1": ["col1", "col2"], "bq-proj.dataset.events_yyyymmdd": ["user_id"], "dataset.table3": ["col5"], "a.b.c.d.e": ["x"], "": ["y"], "bad": "not a list"}
select *, e.user_id from `my-proj.dataset.table1` join `bq-proj.dataset.events_20230101` e on true join dataset.table3 on true
