copy into raw.clicks from 's3://partner-bucket/clicks/' credentials = (aws_key_id = 'AKIAEXAMPLE' aws_secret_key = 'secret')
