drop table if exists PROD_DB.gov.fact_rewards_swap
