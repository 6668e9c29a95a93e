// Everything a dataset derives from as of an instant: each dataset within 10 hops upstream,
// with its shortest distance, how many shortest paths reach it, and one of them.
// `lineage-engine trace` answers it breadth first, one hop per graph read (lineage_engine/walk_traces.py):
// the same meaning, with memory bounded by the answer (this variable-length match enumerates every
// path; on the embedded engine it also answered wrongly on cyclic graphs). The Cypher is for a console.
// params:  $dataset (string, dataset id db.schema.name; case-insensitive), $as_of (datetime, UTC; default now)
// returns: one row per dataset: dataset, hops (shortest), kind, steward, routes (shortest paths), path (one of them: nodes(p), the given dataset first: downstream first); ordered by hops, dataset
WITH $as_of AS as_of
MATCH (o:Dataset {id: toLower($dataset)})
MATCH p = (o)-[:DERIVES_FROM*1..10]->(u:Dataset)
WHERE u.id <> o.id
  AND all(r IN relationships(p) WHERE r.valid_from <= as_of AND (r.valid_to IS NULL OR r.valid_to > as_of))
WITH as_of, o, u, min(length(p)) AS hops
MATCH p = (o)-[:DERIVES_FROM*1..10]->(u)
WHERE length(p) = hops
  AND all(r IN relationships(p) WHERE r.valid_from <= as_of AND (r.valid_to IS NULL OR r.valid_to > as_of))
WITH u, hops, count(p) AS routes, collect(nodes(p))[-1] AS path
RETURN u.id AS dataset, hops, u.kind AS kind, u.steward AS steward, routes, path
ORDER BY hops, dataset
