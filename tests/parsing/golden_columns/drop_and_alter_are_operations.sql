-- queries: true
create table mart.t as select a from raw.u;
alter table mart.t add column b int;
alter table mart.t set masking policy mask_b;
alter table mart.t rename to mart.t2;
drop table mart.t2
