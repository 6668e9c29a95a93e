// Everything holding data of a dataset as of an instant (erasure requests): each dataset within
// 10 hops downstream, with its shortest distance and one shortest path. `lineage-engine trace`
// answers it with the exposure scan's time-respecting walk (lineage_engine/walk_traces.py): a
// copy made through an intermediate dropped, renamed or replaced since still holds the data.
// The Cypher below is the instant-only reading for a Cypher console: only paths whose every
// edge is valid at $as_of (it misses such copies), with routes (how many shortest paths).
// params:  $dataset (string, dataset id db.schema.name; case-insensitive), $as_of (datetime, UTC; default now)
// returns: one row per dataset: dataset, hops (shortest), kind, steward, path (nodes, the given dataset first: upstream first), edges (hops: transform, query_id, validity; walk) or routes (Cypher); ordered by hops, dataset
WITH $as_of AS as_of
MATCH (o:Dataset {id: toLower($dataset)})
MATCH p = (o)<-[:DERIVES_FROM*1..10]-(d:Dataset)
WHERE d.id <> o.id
  AND all(r IN relationships(p) WHERE r.valid_from <= as_of AND (r.valid_to IS NULL OR r.valid_to > as_of))
WITH as_of, o, d, min(length(p)) AS hops
MATCH p = (o)<-[:DERIVES_FROM*1..10]-(d)
WHERE length(p) = hops
  AND all(r IN relationships(p) WHERE r.valid_from <= as_of AND (r.valid_to IS NULL OR r.valid_to > as_of))
WITH d, hops, count(p) AS routes, collect(nodes(p))[-1] AS path
RETURN d.id AS dataset, hops, d.kind AS kind, d.steward AS steward, routes, path
ORDER BY hops, dataset
