"""The clause check that keeps traces read-only (issue 11 §4), case by case."""

from __future__ import annotations

import pytest

from lineage_engine.graph.read_only_cypher import find_write_clause


@pytest.mark.parametrize(("text", "clause"), [
    ("COPY (MATCH (d) RETURN d.id) TO '/tmp/x.csv'", "COPY"),
    ("INSTALL httpfs", "INSTALL"),
    ("LOAD EXTENSION httpfs", "LOAD"),
    ("CHECKPOINT", "CHECKPOINT"),
    ("ATTACH '/tmp/x' AS other (dbtype lbug)", "ATTACH"),
    ("EXPORT DATABASE '/tmp/x'", "EXPORT"),
    ("IMPORT DATABASE '/tmp/x'", "IMPORT"),
    ("match (n) create (m)", "CREATE"),
    ("MERGE (n:Dataset {id: 'x'})", "MERGE"),
    ("MATCH (n) REMOVE n.kind", "REMOVE"),
    ("MATCH (n) CALL { WITH n DETACH DELETE n } IN TRANSACTIONS", "DETACH"),
    ("MATCH (n) FOREACH (x IN [1] | SET n.a = x)", "FOREACH"),
    ("BEGIN TRANSACTION", "BEGIN"),
    ("CALL threads=4", "CALL threads"),
    ("CALL apoc.export.csv.all('x', {})", "CALL apoc.export.csv.all"),
    ("CALL db.createLabel('X')", "CALL db.createLabel"),
])
def test_clauses_that_do_more_than_read_are_found(text: str, clause: str) -> None:
    assert find_write_clause(text) == clause


@pytest.mark.parametrize("text", [
    "MATCH (d:Dataset) RETURN d.id",
    "CALL show_tables() RETURN name",
    "MATCH (n {create: 1}) WHERE n.set = 'DELETE' // CREATE\nRETURN n.`merge`",
    "MATCH (n) /* SET n.x = 1 */ CALL { WITH n MATCH (n)-->(m) RETURN m } RETURN m",
    "MATCH (n:`Set`) WHERE $delete IS NULL RETURN \"copy\" AS c",
    "MATCH p = (a)-[:DERIVES_FROM*1..10]->(b) RETURN p",
])
def test_reads_pass(text: str) -> None:
    assert find_write_clause(text) is None
