alter table PROD_DB.gov.fact_rewards swap with PROD_DB.gov.fact_rewards_swap
