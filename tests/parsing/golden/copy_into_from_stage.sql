copy into raw.clicks from @PROD_DB.landing.click_stage/2026/01/ file_format = (type = 'json')
