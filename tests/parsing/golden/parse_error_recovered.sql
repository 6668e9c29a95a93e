create or replace view PROD_DB.streamline.retry_errors
  copy grants
  as (
WITH retry AS (
    SELECT tx_id FROM PROD_DB.silver.decoded_instructions
    WHERE ((decoded_instruction :args :unknown IS NOT NULL OR decoded_instruction IS NULL)
        AND decoded_instruction :error IS NULL)
)
SELECT e.* FROM PROD_DB.silver.events e INNER JOIN retry ON e.tx_id = retry.tx_id
WHERE EXTRACT(year FROM e.block_timestamp) > 2020
  );
