-- Privileges granted to roles, current and revoked, from ACCOUNT_USAGE.GRANTS_TO_ROLES (telemetry.sync_grants;
-- issue 14 §3). No bind parameters. Latency up to 2 hours; grants on dropped objects are not in the view
-- (docs.snowflake.com, sql-reference/account-usage/grants_to_roles). GRANTED_ON = ROLE rows are the role
-- hierarchy: NAME is the role granted, GRANTEE_NAME the role that receives it.
SELECT privilege,
       granted_on,
       name,
       table_catalog,
       table_schema,
       granted_to,
       grantee_name,
       created_on,
       deleted_on
FROM snowflake.account_usage.grants_to_roles
ORDER BY created_on, grantee_name, name, privilege
