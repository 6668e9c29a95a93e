DELETE FROM PROD_DB.analytics.labels WHERE _is_deleted = TRUE;
DELETE FROM PROD_DB.raw.stage_txs WHERE _partition_id < (SELECT max(_partition_id) - 1680 FROM PROD_DB.raw.stage_txs)
