"""The Cypher of column lineage (issue 5), run as-is on LadybugDB and Neo4j 5 (design §4).

The same shapes as the dataset statements in :mod:`.cypher_store`, on `` `Column` `` nodes
(backticks: ``Column`` is a reserved word in LadybugDB 0.22; Neo4j accepts them too):

- Nodes first (``UNWIND ... MERGE (:`Column` {id})``), then edges with separate ``MATCH``
  clauses and a ``MERGE`` (the one-statement form drops edges on the embedded engine).
- A column interval is keyed by ``(downstream, upstream, kind, valid_from)``: a DIRECT and an
  INDIRECT edge may join one pair of columns.
- The fold reads the open intervals into every column of the datasets a batch writes, in
  one statement per chunk of dataset ids (``HAS_COLUMN``): measured cheaper on the embedded
  engine than one lookup per column pair.
- Stored intervals are re-observed far more often than created, so an update sets only what
  an observation changes (``via`` in its own statement, when it grew): stored intervals the
  fold reads are always open, so ``valid_to`` needs no reset there.
"""

from __future__ import annotations

# The dataset edge fields of cypher_store, plus transform and kind (read back by edge_row).
_COLUMN_EDGE_FIELDS = (
    "d.id AS downstream, u.id AS upstream, e.valid_from AS valid_from, e.valid_to AS valid_to, "
    "e.first_seen AS first_seen, e.last_seen AS last_seen, e.observations AS observations, "
    "e.last_query_id AS last_query_id, e.query_type AS query_type, e.via AS via, e.provenance AS provenance, "
    "e.transform AS transform, e.kind AS kind"
)
READ_OPEN_COLUMN_INTERVALS = (
    "UNWIND $ids AS i MATCH (t:Dataset {id: i})-[:HAS_COLUMN]->(d:`Column`) "
    "MATCH (d)-[e:DERIVES_FROM]->(u:`Column`) "
    f"WHERE e.valid_to IS NULL RETURN {_COLUMN_EDGE_FIELDS}"
)
MERGE_COLUMNS = (  # ids are unique in a plan; dataset_id and name follow from the id
    "UNWIND $rows AS r MERGE (c:`Column` {id: r.id}) ON CREATE SET c.dataset_id = r.dataset_id, c.name = r.name"
)
LINK_COLUMNS = (
    "UNWIND $rows AS r MATCH (d:Dataset {id: r.dataset_id}) MATCH (c:`Column` {id: r.id}) "
    "MERGE (d)-[:HAS_COLUMN]->(c)"
)
UPSERT_COLUMN_INTERVALS = (
    "UNWIND $rows AS r MATCH (d:`Column` {id: r.downstream}) MATCH (u:`Column` {id: r.upstream}) "
    "MERGE (d)-[e:DERIVES_FROM {valid_from: r.valid_from, kind: r.kind}]->(u) "
    "SET e.valid_to = NULL, e.first_seen = r.first_seen, e.last_seen = r.last_seen, "
    "e.observations = r.observations, e.last_query_id = r.last_query_id, "
    "e.query_type = r.query_type, e.via = r.via, e.provenance = r.provenance, e.transform = r.transform"
)
# Stored column intervals are all open (only open ones are read), and re-observed far more
# often than created: set only what an observation changes (``via`` apart, when it grew).
_MATCH_COLUMN_INTERVAL = (
    "UNWIND $rows AS r MATCH (d:`Column` {id: r.downstream}) MATCH (u:`Column` {id: r.upstream}) "
    "MATCH (d)-[e:DERIVES_FROM]->(u) WHERE e.valid_from = r.valid_from AND e.kind = r.kind "
)
UPDATE_COLUMN_INTERVALS = (
    f"{_MATCH_COLUMN_INTERVAL}SET e.last_seen = r.last_seen, e.observations = r.observations, "
    "e.last_query_id = r.last_query_id, e.query_type = r.query_type, e.provenance = r.provenance"
)
SET_COLUMN_VIA = f"{_MATCH_COLUMN_INTERVAL}SET e.via = r.via"
CLOSE_COLUMN_INTERVALS = f"{_MATCH_COLUMN_INTERVAL}SET e.valid_to = r.valid_to"
ALL_COLUMN_EDGES = (
    f"MATCH (d:`Column`)-[e:DERIVES_FROM]->(u:`Column`) RETURN {_COLUMN_EDGE_FIELDS} "
    "ORDER BY downstream, upstream, kind, valid_from"
)
COLUMN_EDGES_AS_OF = (
    "WITH $as_of AS as_of MATCH (d:`Column`)-[e:DERIVES_FROM]->(u:`Column`) "
    "WHERE e.valid_from <= as_of AND (e.valid_to IS NULL OR e.valid_to > as_of) "
    f"RETURN {_COLUMN_EDGE_FIELDS} ORDER BY downstream, upstream, kind, valid_from"
)
