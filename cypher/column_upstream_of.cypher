// Everything a column derives from as of an instant (column lineage, issue 5): each column
// within 10 hops upstream, with its shortest distance, how many shortest paths reach it, one
// of them with its edges (transform, kind), and whether that path passes a masking function.
// params:  $column_id (string, column id db.schema.table.column; case-insensitive), $as_of (datetime, UTC; default now)
// returns: one row per upstream column: upstream (column id), dataset, hops (shortest), routes (shortest paths), masked (a 'masked' edge on the path shown), path (nodes(p), the given column first), edges (relationships(p)); ordered by hops, upstream
WITH $as_of AS as_of
MATCH (c:`Column` {id: toLower($column_id)})
MATCH p = (c)-[:DERIVES_FROM*1..10]->(u:`Column`)
WHERE u.id <> c.id
  AND all(r IN relationships(p) WHERE r.valid_from <= as_of AND (r.valid_to IS NULL OR r.valid_to > as_of))
WITH as_of, c, u, min(length(p)) AS hops
MATCH p = (c)-[:DERIVES_FROM*1..10]->(u)
WHERE length(p) = hops
  AND all(r IN relationships(p) WHERE r.valid_from <= as_of AND (r.valid_to IS NULL OR r.valid_to > as_of))
WITH u, hops, count(p) AS routes, collect(nodes(p))[-1] AS path, collect(relationships(p))[-1] AS edges
RETURN u.id AS upstream, u.dataset_id AS dataset, hops, routes,
       any(r IN edges WHERE r.transform = 'masked') AS masked, path, edges
ORDER BY hops, upstream
