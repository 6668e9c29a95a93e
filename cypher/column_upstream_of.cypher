// Everything a column derives from as of an instant (column lineage, issue 5): each column
// within 10 hops upstream, with its shortest distance, how many shortest paths reach it, whether
// every one of them passes a masking function, and one of them with its edges (transform, kind):
// an unmasked one when there is one, so the answer does not depend on which route an engine finds first.
// `lineage-engine trace` answers it hop by hop, one graph read per hop, with the same meaning
// (lineage_engine/trail_traces.py: trails, each valid relationship on its own), so memory follows
// the answer; this variable-length match is the portable definition, for a Cypher console.
// params:  $column_id (string, column id db.schema.table.column; case-insensitive), $as_of (datetime, UTC; default now)
// returns: one row per upstream column: upstream (column id), dataset, hops (shortest), routes (shortest paths), masked (every shortest route has a 'masked' edge; false when any has none), path (nodes(p), the given column first: downstream first), edges (relationships(p)); ordered by hops, upstream
WITH $as_of AS as_of
MATCH (c:`Column` {id: toLower($column_id)})
MATCH p = (c)-[:DERIVES_FROM*1..10]->(u:`Column`)
WHERE u.id <> c.id
  AND all(r IN relationships(p) WHERE r.valid_from <= as_of AND (r.valid_to IS NULL OR r.valid_to > as_of))
WITH as_of, c, u, min(length(p)) AS hops
MATCH p = (c)-[:DERIVES_FROM*1..10]->(u)
WHERE length(p) = hops
  AND all(r IN relationships(p) WHERE r.valid_from <= as_of AND (r.valid_to IS NULL OR r.valid_to > as_of))
WITH u, hops, p, any(r IN relationships(p) WHERE r.transform = 'masked') AS through_mask
WITH u, hops, count(p) AS routes, min(CASE WHEN through_mask THEN 1 ELSE 0 END) = 1 AS masked,
     collect(nodes(p))[-1] AS some_path, collect(relationships(p))[-1] AS some_edges,
     collect(CASE WHEN through_mask THEN NULL ELSE nodes(p) END) AS open_paths,
     collect(CASE WHEN through_mask THEN NULL ELSE relationships(p) END) AS open_edges
RETURN u.id AS upstream, u.dataset_id AS dataset, hops, routes, masked,
       ([some_path] + open_paths)[-1] AS path, ([some_edges] + open_edges)[-1] AS edges
ORDER BY hops, upstream
