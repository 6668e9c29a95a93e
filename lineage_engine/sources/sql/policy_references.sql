-- Masking and row access policies attached to tables, views and columns, from ACCOUNT_USAGE.POLICY_REFERENCES
-- (telemetry.sync_policies; issue 10 §2). No bind parameters. The view lists current assignments only, with
-- no assignment time; rows of dropped objects disappear. Only ACTIVE assignments protect anything.
SELECT policy_name,
       policy_kind,
       ref_database_name,
       ref_schema_name,
       ref_entity_name,
       ref_column_name
FROM snowflake.account_usage.policy_references
WHERE policy_kind IN ('MASKING_POLICY', 'ROW_ACCESS_POLICY')
  AND COALESCE(policy_status, 'ACTIVE') = 'ACTIVE'
ORDER BY ref_database_name, ref_schema_name, ref_entity_name, ref_column_name, policy_kind
