-- Roles granted to users, current and revoked, from ACCOUNT_USAGE.GRANTS_TO_USERS (telemetry.sync_grants;
-- issue 14 §3). No bind parameters. Latency up to 2 hours; a revoke sets DELETED_ON, a later regrant is a
-- new row (docs.snowflake.com, sql-reference/account-usage/grants_to_users).
SELECT role,
       grantee_name,
       created_on,
       deleted_on
FROM snowflake.account_usage.grants_to_users
ORDER BY created_on, grantee_name, role
