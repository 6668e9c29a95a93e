insert into PROD_DB.seed.countries (code, name) values ('FR', 'France'), ('DE', 'Germany')
