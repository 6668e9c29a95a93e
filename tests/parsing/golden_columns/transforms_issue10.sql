create or replace table mart.contact_sheet as
select
    case when is_vip then 'REDACTED' else email end as contact,
    case when is_vip then sha2(email) else '***' end as contact_masked,
    case when ssn is null then 'missing' else 'present' end as has_ssn,
    iff(phone like '+44%', 'UK', 'other') as phone_region,
    right(ssn, 4) as ssn_last4,
    left(card_number, 6) as card_bin,
    substr(ssn, 1, 3) as ssn_area,
    substr(ssn, 2) as ssn_rest,
    regexp_replace(email, '^[^@]+', '***') as email_domain_only,
    regexp_replace(phone, '[^0-9]', '') as phone_digits,
    detokenize(card_token) as card_clear,
    upper(decrypt(secret, 'k')) as secret_clear,
    sha2(detokenize(card_token)) as card_rehashed
from raw.customers
;
create or replace table mart.customer_counts as
select country, count(distinct email) as emails, approx_count_distinct(phone) as phones, hll(ssn) as ssns,
       min(email) as first_email, listagg(phone, ',') as phones_list, count(*) as customers
from raw.customers
group by country
;
create or replace table mart.detokenized as
select detokenize(t.email_token) as email
from (select tokenize_email(email) as email_token from raw.customers) t
