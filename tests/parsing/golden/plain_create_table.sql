create or replace transient table PROD_DB.seed.countries (code varchar, name varchar)
