// What holds the value of a sensitive column unmasked, as of an instant (column lineage).
// `lineage-engine trace` answers it with the exposure scan's time-respecting column walk
// (lineage_engine/walk_traces.py; masking policies from the registry facts of $as_of), so it
// gives the same terminals as `scan --as-of`, table-level ones included (level: table).
// The Cypher below is the instant-only reading for a Cypher console: a path walks DIRECT column edges valid at $as_of (1 to
// 10 hops) that carry a value (transform not 'counted'), with no 'masked' edge unless an
// 'unmasked' one (DETOKENIZE, DECRYPT) is on the path too, from a column with no masking
// policy (unset or NONE) in a dataset with none either (the terminal) up to an origin
// column; a 'partial' edge on the path (RIGHT(ssn, 4)) makes it a partial exposure (see
// edges). Limits: an unmasking edge upstream of a masking one still counts (over-reports), only
// edges valid at $as_of count (the exposure scan also follows history), masking policies
// of intermediate columns are not checked (the scan applies them), and an unexpanded star
// edge (db.schema.table.*) is followed only as written.
// params:  $origins (list, origin column ids db.schema.table.column; case-insensitive),
//          $as_of (datetime, UTC; default now)
// returns: one row per terminal: origin, terminal (column id), dataset (the terminal's), level (walk), hops, path (nodes, terminal first, origin last), edges (transform, kind, valid_from ...); ordered by origin, hops, terminal
WITH $as_of AS as_of, $origins AS origins
MATCH (o:`Column`)
WHERE any(x IN origins WHERE toLower(x) = o.id)
MATCH p = (c:`Column`)-[:DERIVES_FROM*1..10]->(o)
WHERE c.id <> o.id
  AND coalesce(c.masking_policy, 'NONE') = 'NONE'
  AND all(r IN relationships(p) WHERE r.valid_from <= as_of AND (r.valid_to IS NULL OR r.valid_to > as_of)
                                  AND r.kind = 'DIRECT' AND r.transform <> 'counted')
  AND (none(r IN relationships(p) WHERE r.transform = 'masked')
       OR any(r IN relationships(p) WHERE r.transform = 'unmasked'))
MATCH (d:Dataset)-[:HAS_COLUMN]->(c)
WHERE coalesce(d.masking_policy, 'NONE') = 'NONE'
RETURN o.id AS origin, c.id AS terminal, d.id AS dataset, length(p) AS hops, nodes(p) AS path,
       relationships(p) AS edges
ORDER BY origin, hops, terminal
