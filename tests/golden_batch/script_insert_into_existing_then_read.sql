-- dialect: ansi
-- defaults: db s
insert into tab2 (col1) select col1 from tab1;
insert into tab3 (col2) select col2 from tab2;
create table tmp as select col1 from tab1;
insert into tab4 select col1 from tmp
