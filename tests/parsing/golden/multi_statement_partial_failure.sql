create table analytics.ok_one as select * from raw.a;
insert into (select 'secret@example.com' from;
create table analytics.ok_two as select * from raw.b;
