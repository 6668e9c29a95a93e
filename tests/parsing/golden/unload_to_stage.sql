copy into @PROD_DB.exports.partner_stage/customers/ from (select id, email from PROD_DB.raw.customers where region = 'EU')
file_format = (type = csv) header = true
