create or replace table PROD_DB.gov.fact_rewards_swap clone PROD_DB.gov.fact_rewards
