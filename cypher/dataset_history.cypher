// Every incoming lineage interval of a dataset, current and past (audit evidence: what it
// derived from, when, and by which query).
// params:  $dataset (string, dataset id db.schema.name; case-insensitive)
// returns: upstream, valid_from, valid_to (null while current), first_seen, last_seen, observations, last_query_id, query_type, via; ordered by valid_from, upstream
MATCH (d:Dataset {id: toLower($dataset)})-[e:DERIVES_FROM]->(u:Dataset)
RETURN u.id AS upstream, e.valid_from AS valid_from, e.valid_to AS valid_to,
       e.first_seen AS first_seen, e.last_seen AS last_seen, e.observations AS observations,
       e.last_query_id AS last_query_id, e.query_type AS query_type, e.via AS via
ORDER BY valid_from, upstream
