"""The Cypher of column lineage (issue 5), run as-is on LadybugDB and Neo4j 5 (design §4).

The same shapes as the dataset statements in :mod:`.cypher_store`, on `` `Column` `` nodes
(backticks: ``Column`` is a reserved word in LadybugDB 0.22; Neo4j accepts them too):

- Nodes first (the new ones created, see ``READ_COLUMN_IDS``), then edges with separate
  ``MATCH`` clauses and a ``MERGE`` (the one-statement form drops edges on the embedded engine).
- A column interval is keyed by ``(downstream, upstream, kind, valid_from)``: a DIRECT and an
  INDIRECT edge may join one pair of columns.
- The fold reads the open intervals into every column of the datasets a batch writes, in
  one statement per chunk of dataset ids (``HAS_COLUMN``): measured cheaper on the embedded
  engine than one lookup per column pair. The ids are unique (``IN`` returns each once).
- Stored intervals are re-observed far more often than created, so an update sets only what
  an observation changes (``via`` and the query type and provenance only when they changed):
  stored intervals the fold reads are always open, so ``valid_to`` needs no reset there.
"""

from __future__ import annotations

# The dataset edge fields of cypher_store, plus transform and kind (read back by edge_row).
_COLUMN_EDGE_FIELDS = (
    "d.id AS downstream, u.id AS upstream, e.valid_from AS valid_from, e.valid_to AS valid_to, "
    "e.first_seen AS first_seen, e.last_seen AS last_seen, e.observations AS observations, "
    "e.last_query_id AS last_query_id, e.query_type AS query_type, e.via AS via, e.provenance AS provenance, "
    "e.transform AS transform, e.kind AS kind"
)
# ``WHERE t.id IN $ids``, not ``UNWIND $ids AS i MATCH (t {id: i})-[:HAS_COLUMN]->...``: on
# LadybugDB 0.22 the UNWIND form joins by scanning every HAS_COLUMN link, a cost per statement
# that grows with the graph (130 ms at 100,000 columns whether 1 or 100 datasets are read),
# the IN form starts from the datasets (12 ms for 100); benchmarks/cypher_forms.py.
READ_OPEN_COLUMN_INTERVALS = (
    "MATCH (t:Dataset) WHERE t.id IN $ids MATCH (t)-[:HAS_COLUMN]->(d:`Column`) "
    "MATCH (d)-[e:DERIVES_FROM]->(u:`Column`) "
    f"WHERE e.valid_to IS NULL RETURN {_COLUMN_EDGE_FIELDS}"
)
READ_COLUMN_INTERVAL_HISTORY = (  # every interval, open or closed, into datasets with late events (rare)
    "MATCH (t:Dataset) WHERE t.id IN $ids MATCH (t)-[:HAS_COLUMN]->(d:`Column`) "
    f"MATCH (d)-[e:DERIVES_FROM]->(u:`Column`) RETURN {_COLUMN_EDGE_FIELDS}"
)
# One dataset id (``$id``) per statement: see ``CypherGraphStore._reads_per_id`` (LadybugDB).
READ_OPEN_COLUMN_INTERVALS_OF = (
    "MATCH (t:Dataset {id: $id})-[:HAS_COLUMN]->(d:`Column`) MATCH (d)-[e:DERIVES_FROM]->(u:`Column`) "
    f"WHERE e.valid_to IS NULL RETURN {_COLUMN_EDGE_FIELDS}"
)
READ_COLUMN_INTERVAL_HISTORY_OF = (
    "MATCH (t:Dataset {id: $id})-[:HAS_COLUMN]->(d:`Column`) MATCH (d)-[e:DERIVES_FROM]->(u:`Column`) "
    f"RETURN {_COLUMN_EDGE_FIELDS}"
)
# Column nodes: the stored ones among a plan's are read by id (a plain list: the primary-key
# index), the others created from a plain id list, then named. On LadybugDB 0.22 a key taken
# from a map field (``MERGE``/``CREATE (c {id: r.id})``) checks the primary key the slow way:
# at 300,000 columns MERGE on ``r.id`` costs 1,235 us per row and CREATE 182 us, against 5 us
# for the read, 7 us for CREATE from ``$ids`` and 20 us for the SET (benchmarks/cypher_forms.py).
# A stored Column always has its HAS_COLUMN link: both are written in one transaction.
READ_COLUMN_IDS = "UNWIND $ids AS i MATCH (c:`Column` {id: i}) RETURN c.id AS id"
CREATE_COLUMNS = "UNWIND $ids AS i CREATE (:`Column` {id: i})"  # ids unique in a plan, known not stored
NAME_COLUMNS = "UNWIND $rows AS r MATCH (c:`Column` {id: r.id}) SET c.dataset_id = r.dataset_id, c.name = r.name"
LINK_NEW_COLUMNS = (
    "UNWIND $rows AS r MATCH (d:Dataset {id: r.dataset_id}) MATCH (c:`Column` {id: r.id}) "
    "CREATE (d)-[:HAS_COLUMN]->(c)"
)
UPSERT_COLUMN_INTERVALS = (
    "UNWIND $rows AS r MATCH (d:`Column` {id: r.downstream}) MATCH (u:`Column` {id: r.upstream}) "
    "MERGE (d)-[e:DERIVES_FROM {valid_from: r.valid_from, kind: r.kind}]->(u) "
    "SET e.valid_to = NULL, e.first_seen = r.first_seen, e.last_seen = r.last_seen, "
    "e.observations = r.observations, e.last_query_id = r.last_query_id, "
    "e.query_type = r.query_type, e.via = r.via, e.provenance = r.provenance, e.transform = r.transform"
)
CREATE_COLUMN_INTERVALS = (  # known not to be stored (cypher_store._known_new): MERGE scans every edge on LadybugDB
    "UNWIND $rows AS r MATCH (d:`Column` {id: r.downstream}) MATCH (u:`Column` {id: r.upstream}) "
    "CREATE (d)-[e:DERIVES_FROM {valid_from: r.valid_from, kind: r.kind, first_seen: r.first_seen, "
    "last_seen: r.last_seen, observations: r.observations, last_query_id: r.last_query_id, "
    "query_type: r.query_type, via: r.via, provenance: r.provenance, transform: r.transform}]->(u)"
)
# Stored column intervals are all open (only open ones are read), and re-observed far more
# often than created: set only what an observation changes.
_MATCH_COLUMN_INTERVAL = (
    "UNWIND $rows AS r MATCH (d:`Column` {id: r.downstream}) MATCH (u:`Column` {id: r.upstream}) "
    "MATCH (d)-[e:DERIVES_FROM]->(u) WHERE e.valid_from = r.valid_from AND e.kind = r.kind "
)
# A re-observation nearly always keeps the stored query type and provenance, and each property
# SET costs about 10 us per row on LadybugDB 0.22 (a third of the statement's time beyond the match):
# OBSERVE_* set only what changes, UPDATE_* all of them, for the rows whose query type or provenance
# changed (or is not known); the ``_VIA`` forms also set ``via``, for the rows whose ``via`` grew.
_OBSERVED = "SET e.last_seen = r.last_seen, e.observations = r.observations, e.last_query_id = r.last_query_id"
UPDATE_COLUMN_INTERVALS = (
    f"{_MATCH_COLUMN_INTERVAL}{_OBSERVED}, e.query_type = r.query_type, e.provenance = r.provenance"
)
UPDATE_COLUMN_INTERVALS_VIA = f"{UPDATE_COLUMN_INTERVALS}, e.via = r.via"
OBSERVE_COLUMN_INTERVALS = f"{_MATCH_COLUMN_INTERVAL}{_OBSERVED}"
OBSERVE_COLUMN_INTERVALS_VIA = f"{_MATCH_COLUMN_INTERVAL}{_OBSERVED}, e.via = r.via"
MOVE_COLUMN_INTERVALS_BACK = (  # a late event derived the edge earlier (graph/intervals.py); the update then matches it
    "UNWIND $rows AS r MATCH (d:`Column` {id: r.downstream}) MATCH (u:`Column` {id: r.upstream}) "
    "MATCH (d)-[e:DERIVES_FROM]->(u) WHERE e.valid_from = r.stored_from AND e.kind = r.kind "
    "SET e.valid_from = r.valid_from, e.first_seen = r.first_seen, e.observations = r.observations, e.via = r.via"
)
SET_COLUMN_TRANSFORM = f"{_MATCH_COLUMN_INTERVAL}SET e.transform = r.transform"  # a late event revealed more
CLOSE_COLUMN_INTERVALS = f"{_MATCH_COLUMN_INTERVAL}SET e.valid_to = r.valid_to"
# The same writes for the intervals into one dataset's columns (``$id``), one statement per
# dataset (CypherGraphStore.edge_writes_by_dataset, LadybugDB): the dataset by primary key, then
# its columns' intervals; no scan of every column edge.
_MATCH_COLUMN_INTERVAL_OF = (
    "UNWIND $rows AS r MATCH (t:Dataset {id: $id})-[:HAS_COLUMN]->(d:`Column`) MATCH (d)-[e:DERIVES_FROM]->(u:`Column`) "
    "WHERE e.valid_from = r.valid_from AND e.kind = r.kind AND d.id = r.downstream AND u.id = r.upstream "
)
UPDATE_COLUMN_INTERVALS_OF = (
    f"{_MATCH_COLUMN_INTERVAL_OF}{_OBSERVED}, e.query_type = r.query_type, e.provenance = r.provenance"
)
UPDATE_COLUMN_INTERVALS_VIA_OF = f"{UPDATE_COLUMN_INTERVALS_OF}, e.via = r.via"
OBSERVE_COLUMN_INTERVALS_OF = f"{_MATCH_COLUMN_INTERVAL_OF}{_OBSERVED}"
OBSERVE_COLUMN_INTERVALS_VIA_OF = f"{_MATCH_COLUMN_INTERVAL_OF}{_OBSERVED}, e.via = r.via"
SET_COLUMN_TRANSFORM_OF = f"{_MATCH_COLUMN_INTERVAL_OF}SET e.transform = r.transform"
CLOSE_COLUMN_INTERVALS_OF = f"{_MATCH_COLUMN_INTERVAL_OF}SET e.valid_to = r.valid_to"
MOVE_COLUMN_INTERVALS_BACK_OF = (
    "UNWIND $rows AS r MATCH (t:Dataset {id: $id})-[:HAS_COLUMN]->(d:`Column`) MATCH (d)-[e:DERIVES_FROM]->(u:`Column`) "
    "WHERE e.valid_from = r.stored_from AND e.kind = r.kind AND d.id = r.downstream AND u.id = r.upstream "
    "SET e.valid_from = r.valid_from, e.first_seen = r.first_seen, e.observations = r.observations, e.via = r.via"
)
ALL_COLUMN_EDGES = (
    f"MATCH (d:`Column`)-[e:DERIVES_FROM]->(u:`Column`) RETURN {_COLUMN_EDGE_FIELDS} "
    "ORDER BY downstream, upstream, kind, valid_from"
)
COLUMN_EDGES_AS_OF = (
    "WITH $as_of AS as_of MATCH (d:`Column`)-[e:DERIVES_FROM]->(u:`Column`) "
    "WHERE e.valid_from <= as_of AND (e.valid_to IS NULL OR e.valid_to > as_of) "
    f"RETURN {_COLUMN_EDGE_FIELDS} ORDER BY downstream, upstream, kind, valid_from"
)
