alter table analytics.customers rename to analytics.customers_v2, add column email_hash varchar;
alter table analytics.customers add search optimization on equality(email);
