insert into identifier('PROD_DB.analytics.pii_copy')
select * from identifier('raw."Mixed Case"')
