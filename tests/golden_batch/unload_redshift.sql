-- dialect: redshift
-- defaults: dev public
unload ('select v.venueid, v.venuename from venue v where v.venuestate = ''NV''')
to 's3://exports-bucket/tickit/unload/venue_'
iam_role 'arn:aws:iam::0123456789012:role/MyRedshiftRole';
copy sales from 's3://landing-bucket/tickit/sales/' iam_role default;
copy (select buyerid, pricepaid from sales) to 's3://exports-bucket/sales_'
