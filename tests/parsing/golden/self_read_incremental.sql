insert into analytics.events select * from raw.events where ts > (select max(ts) from analytics.events)
