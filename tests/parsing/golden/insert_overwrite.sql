insert overwrite into analytics.daily_totals
select order_date, sum(amount) from raw.orders group by 1
