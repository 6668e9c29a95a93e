create or replace table mart.partner_feed as
select
    sha2(email) as email_hash,
    md5(phone) as phone_hash,
    pii.mask_ssn(ssn) as ssn_masked,
    detokenize(card_token) as card_number,
    upper(sha2(email)) as email_hash_upper,
    concat(sha2(email), email) as leaky
from raw.customers
