insert into mart.contacts (contact_id, contact_email)
select id, lower(email) from raw.customers
