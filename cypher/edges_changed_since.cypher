// Dataset lineage edges opened or closed at or after an instant (drift review).
// params:  $since (datetime, UTC)
// returns: downstream, upstream, change (opened | closed | opened_and_closed), valid_from, valid_to, last_query_id, query_type; ordered by downstream, upstream, valid_from
WITH $since AS since
MATCH (d:Dataset)-[e:DERIVES_FROM]->(u:Dataset)
WHERE e.valid_from >= since OR e.valid_to >= since
RETURN d.id AS downstream, u.id AS upstream,
       CASE
         WHEN e.valid_from >= since AND e.valid_to IS NULL THEN 'opened'
         WHEN e.valid_from >= since THEN 'opened_and_closed'
         ELSE 'closed'
       END AS change,
       e.valid_from AS valid_from, e.valid_to AS valid_to,
       e.last_query_id AS last_query_id, e.query_type AS query_type
ORDER BY downstream, upstream, valid_from
