// Classified upstreams of a dataset as of an instant: which sensitive data it derives from,
// within 5 hops, with each upstream's registry facts.
// `lineage-engine trace` answers it hop by hop, one graph read per hop, with the same meaning
// (lineage_engine/trail_traces.py: trails, each valid relationship on its own), so memory follows
// the answer; this variable-length match is the portable definition, for a Cypher console.
// params:  $dataset (string, dataset id db.schema.name; case-insensitive), $as_of (datetime, UTC; default now)
// returns: one row per path: upstream, classification, tags, masking_policy, steward, hops, path (nodes(p), the dataset first: downstream first); ordered by hops, upstream
WITH $as_of AS as_of
MATCH (d:Dataset {id: toLower($dataset)})
MATCH p = (d)-[:DERIVES_FROM*1..5]->(u:Dataset)
WHERE u.id <> d.id
  AND u.classification IS NOT NULL
  AND all(r IN relationships(p) WHERE r.valid_from <= as_of AND (r.valid_to IS NULL OR r.valid_to > as_of))
RETURN u.id AS upstream, u.classification AS classification, u.tags AS tags,
       u.masking_policy AS masking_policy, u.steward AS steward, length(p) AS hops, nodes(p) AS path
ORDER BY hops, upstream
