// Every path by which data from sensitive origins reaches an unmasked dataset, as of an instant.
// A path walks DERIVES_FROM edges valid at $as_of (1 to 10 hops) from a dataset whose masking
// policy is unset or NONE (the terminal) up to an origin. (The exposure scan walks in time instead.)
// `lineage-engine trace` answers it hop by hop, one graph read per hop, with the same meaning
// (lineage_engine/trail_traces.py: trails, each valid relationship on its own), so memory follows
// the answer; this variable-length match is the portable definition, for a Cypher console.
// params:  $origins (list, origin dataset ids db.schema.name; case-insensitive),
//          $as_of (datetime, UTC; default now)
// returns: one row per path: origin, terminal, hops, path (nodes(p), terminal first, origin last); ordered by origin, hops, terminal
WITH $as_of AS as_of, $origins AS origins
MATCH (o:Dataset)
WHERE any(x IN origins WHERE toLower(x) = o.id)
MATCH p = (d:Dataset)-[:DERIVES_FROM*1..10]->(o)
WHERE d.id <> o.id
  AND coalesce(d.masking_policy, 'NONE') = 'NONE'
  AND all(r IN relationships(p) WHERE r.valid_from <= as_of AND (r.valid_to IS NULL OR r.valid_to > as_of))
RETURN o.id AS origin, d.id AS terminal, length(p) AS hops, nodes(p) AS path
ORDER BY origin, hops, terminal
