-- schema: {"prod_db.mart.contacts": ["contact_id", "contact_email"]}
insert into mart.contacts
select id, email from raw.customers
