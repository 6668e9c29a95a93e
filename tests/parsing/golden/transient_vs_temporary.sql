create transient table analytics.kept as select * from raw.a;
create temporary table analytics.session_only as select * from raw.b;
create volatile table analytics.volatile_one as select * from raw.c;
create local temporary table analytics.local_temp as select * from raw.d;
