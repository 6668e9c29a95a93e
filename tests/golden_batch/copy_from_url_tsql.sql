-- dialect: tsql
-- defaults: dw dbo
COPY INTO stage.customers FROM 'https://myaccount.blob.core.windows.net/landing/customers/2024/'
