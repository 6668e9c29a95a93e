insert into mart.contacts
select id, email from raw.customers
