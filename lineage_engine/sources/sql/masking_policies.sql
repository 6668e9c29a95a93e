-- Signatures of the live masking policies, from ACCOUNT_USAGE.MASKING_POLICIES (telemetry.sync_policies): a
-- tag's masking policy protects only columns of its signature's type (review s14 R9: a policy created before
-- the crawled history has no CREATE MASKING POLICY there to say it). No bind parameters. Bodies are not read.
SELECT policy_catalog,
       policy_schema,
       policy_name,
       policy_signature
FROM snowflake.account_usage.masking_policies
WHERE deleted IS NULL
ORDER BY policy_catalog, policy_schema, policy_name
