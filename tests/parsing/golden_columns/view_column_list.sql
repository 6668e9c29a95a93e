create view mart.v_contacts (contact_id, contact_email) as
select id, email from raw.customers
