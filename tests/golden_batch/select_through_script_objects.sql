-- dialect: ansi
create table tmp as select a, b, c from src where d > 0;
select t.a, u.x from tmp t join other u on t.b = u.b
