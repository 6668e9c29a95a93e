create or replace external table analytics.ext_clicks location = @PROD_DB.landing.click_stage/ext/ file_format = (type = parquet)
