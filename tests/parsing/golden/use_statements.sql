use warehouse LOAD_WH;
use database ANALYTICS_DB;
create table t1 as select * from s1;
use schema MARTS;
create table t2 as select * from t1;
use schema OTHER_DB.SALES;
create table t3 as select * from PUBLIC.t2;
use role TRANSFORMER;
