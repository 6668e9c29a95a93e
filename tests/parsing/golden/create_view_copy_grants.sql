create or replace view PROD_DB.analytics.v_customers
  copy grants
  as (
    select id, email from PROD_DB.raw.customers
  );
