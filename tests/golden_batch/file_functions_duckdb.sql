-- dialect: duckdb
-- defaults: - main
CREATE TABLE events AS SELECT id, payload FROM read_parquet('s3://lake-bucket/events/2024/*.parquet');
INSERT INTO events SELECT id, payload FROM 'gs://other-bucket/events.parquet';
INSERT INTO local_events SELECT id, payload FROM read_csv('exports/events.csv')
