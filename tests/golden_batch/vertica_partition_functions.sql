-- dialect: postgres
-- defaults: - public
SELECT MOVE_PARTITIONS_TO_TABLE('staging.orders', '2024-01-01', '2024-01-31', 'public.orders');
SELECT COPY_PARTITIONS_TO_TABLE('public.orders', '2024-01-01', '2024-01-31', 'archive.orders');
SELECT SWAP_PARTITIONS_BETWEEN_TABLES('staging.events', '1', '9', 'public.events')
