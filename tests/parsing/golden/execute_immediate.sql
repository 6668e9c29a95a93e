execute immediate 'insert into analytics.t select * from raw.s'
