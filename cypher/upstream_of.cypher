// Everything a dataset derives from as of an instant: each dataset within 10 hops upstream,
// with its shortest lineage path; a dataset reached by several equally short paths appears
// once per path.
// params:  $dataset (string, dataset id db.schema.name; case-insensitive), $as_of (datetime, UTC; default now)
// returns: dataset, hops (shortest), kind, steward, path (nodes(p), the given dataset first); ordered by hops, dataset
WITH $as_of AS as_of
MATCH (o:Dataset {id: toLower($dataset)})
MATCH p = (o)-[:DERIVES_FROM*1..10]->(u:Dataset)
WHERE u.id <> o.id
  AND all(r IN relationships(p) WHERE r.valid_from <= as_of AND (r.valid_to IS NULL OR r.valid_to > as_of))
WITH as_of, o, u, min(length(p)) AS hops
MATCH p = (o)-[:DERIVES_FROM*1..10]->(u)
WHERE length(p) = hops
  AND all(r IN relationships(p) WHERE r.valid_from <= as_of AND (r.valid_to IS NULL OR r.valid_to > as_of))
RETURN u.id AS dataset, hops, u.kind AS kind, u.steward AS steward, nodes(p) AS path
ORDER BY hops, dataset
