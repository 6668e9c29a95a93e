use database analytics;
create table t as select a from u;
use schema mart;
insert into t2 select a from t
