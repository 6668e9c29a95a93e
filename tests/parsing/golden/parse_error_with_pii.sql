insert into crm.contacts select * from raw.contacts where email = 'jane.doe@example.com' and (phone = '+1-555-0100'
