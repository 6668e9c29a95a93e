"""The graph schema (design §4) as data: property lists, embedded DDL, Neo4j constraints.

Both backends hold the same labels and properties. The embedded engine (LadybugDB) needs
typed node and relationship tables; Neo4j gets uniqueness constraints and indexes. Every
statement here is idempotent (``IF NOT EXISTS``), so :func:`migrate_statements` can run
on every start.

``Column`` is a reserved word in LadybugDB 0.22 (``CREATE NODE TABLE Column`` and
``MATCH (c:Column)`` are parse errors), so every Cypher text spells the label with
backticks, `` `Column` ``, which Neo4j accepts too.

Two node properties extend design §4 for exact replays (see ``graph/timeline.py``):
``last_event_at`` and ``last_event_query_id`` hold the keyset position of the last
lineage event applied to the dataset as a target; ``resets`` the positions of its last
replaces, DROPs, RENAMEs and SWAPs (``timeline.RESET_HISTORY``), which a late event's
edges end at.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence

from lineage_engine.errors import ConfigError

DATASET_PROPERTIES: dict[str, str] = {
    "id": "STRING",
    "name": "STRING",
    "namespace": "STRING",
    "kind": "STRING",
    "object_id": "STRING",
    "classification": "STRING",
    "tags": "STRING[]",
    "steward": "STRING",
    "masking_policy": "STRING",
    "first_seen": "TIMESTAMP",
    "last_seen": "TIMESTAMP",
    "dropped_at": "TIMESTAMP",
    "last_event_at": "TIMESTAMP",
    "last_event_query_id": "STRING",
    "resets": "STRING[]",
}
"""``Dataset`` properties and their embedded types, in declaration order."""

COLUMN_PROPERTIES: dict[str, str] = {
    "id": "STRING",
    "dataset_id": "STRING",
    "name": "STRING",
    "classification": "STRING",
    "tags": "STRING[]",
    "masking_policy": "STRING",
}
"""``Column`` properties and their embedded types."""

DERIVES_FROM_PROPERTIES: dict[str, str] = {
    "valid_from": "TIMESTAMP",
    "valid_to": "TIMESTAMP",
    "first_seen": "TIMESTAMP",
    "last_seen": "TIMESTAMP",
    "observations": "INT64",
    "last_query_id": "STRING",
    "query_type": "STRING",
    "via": "STRING[]",
    "provenance": "STRING",
    "transform": "STRING",
    "kind": "STRING",
}
"""``DERIVES_FROM`` properties (``transform``/``kind`` are used on column edges only)."""

PROPERTIES_BY_LABEL: dict[str, frozenset[str]] = {
    "Dataset": frozenset(DATASET_PROPERTIES),
    "Column": frozenset(COLUMN_PROPERTIES),
    "DERIVES_FROM": frozenset(DERIVES_FROM_PROPERTIES),
    "HAS_COLUMN": frozenset(),
}
"""Which keys belong to a node or relationship of each label.

The embedded engine returns a node bound by a multi-table pattern (a variable-length
``DERIVES_FROM`` walk spans the Dataset and Column tables) with the union of both tables'
properties; result conversion keeps only the keys of the node's own label.
"""


def _columns(properties: dict[str, str]) -> str:
    return ", ".join(f"{name} {type_}" for name, type_ in properties.items())


EMBEDDED_SCHEMA: tuple[str, ...] = (
    f"CREATE NODE TABLE IF NOT EXISTS Dataset({_columns(DATASET_PROPERTIES)}, PRIMARY KEY(id))",
    f"CREATE NODE TABLE IF NOT EXISTS `Column`({_columns(COLUMN_PROPERTIES)}, PRIMARY KEY(id))",
    "CREATE REL TABLE IF NOT EXISTS HAS_COLUMN(FROM Dataset TO `Column`)",
    # One relationship table group with two FROM/TO pairs: dataset and column lineage share
    # the type name, so traces read `DERIVES_FROM` on both backends.
    "CREATE REL TABLE IF NOT EXISTS DERIVES_FROM("
    f"FROM Dataset TO Dataset, FROM `Column` TO `Column`, {_columns(DERIVES_FROM_PROPERTIES)})",
    # Added by issue 3: upgrades a graph created before ``provenance`` existed (idempotent).
    "ALTER TABLE DERIVES_FROM ADD IF NOT EXISTS provenance STRING",
    # Added for late events (graph/timeline.py): upgrades a graph created before ``resets``.
    "ALTER TABLE Dataset ADD IF NOT EXISTS resets STRING[]",
    # The rules the column edges were written under (graph/column_rules.py: one node, id 'column_edges').
    "CREATE NODE TABLE IF NOT EXISTS LineageRules(id STRING, rules INT64, upgraded_at TIMESTAMP, demoted INT64, "
    "settled_at TIMESTAMP, PRIMARY KEY(id))",
)
"""LadybugDB DDL: typed tables, created idempotently, in dependency order."""

NEO4J_SCHEMA: tuple[str, ...] = (
    "CREATE CONSTRAINT dataset_id IF NOT EXISTS FOR (d:Dataset) REQUIRE d.id IS UNIQUE",
    "CREATE CONSTRAINT column_id IF NOT EXISTS FOR (c:`Column`) REQUIRE c.id IS UNIQUE",
    "CREATE INDEX derives_from_valid_from IF NOT EXISTS FOR ()-[e:DERIVES_FROM]-() ON (e.valid_from)",
    "CREATE INDEX derives_from_valid_to IF NOT EXISTS FOR ()-[e:DERIVES_FROM]-() ON (e.valid_to)",
    "CREATE CONSTRAINT lineage_rules_id IF NOT EXISTS FOR (m:LineageRules) REQUIRE m.id IS UNIQUE",
)
"""Neo4j 5 constraints and indexes the Neo4j backend always creates; ``graph.indexes`` adds more."""

_INDEX_TARGETS: dict[str, tuple[str, dict[str, str]]] = {
    "Dataset": ("(n:Dataset)", DATASET_PROPERTIES),
    "Column": ("(n:`Column`)", COLUMN_PROPERTIES),
    "DERIVES_FROM": ("()-[n:DERIVES_FROM]-()", DERIVES_FROM_PROPERTIES),
}


def neo4j_index_statements(indexes: Sequence[str]) -> tuple[str, ...]:
    """Return ``CREATE INDEX ... IF NOT EXISTS`` statements for the ``graph.indexes`` entries.

    An entry is ``Label.property`` (``Dataset.last_seen``, ``DERIVES_FROM.valid_to``) or a bare
    property, indexed on every node label that declares it, else on ``DERIVES_FROM``
    (``last_seen`` -> ``Dataset``, ``valid_to`` -> ``DERIVES_FROM``). Labels and property names
    are checked against the schema above, so no configured text reaches Cypher unchecked.
    Indexes :data:`NEO4J_SCHEMA` already creates (``id``, ``valid_from``, ``valid_to``) and
    repeated entries are skipped. Index names are ``<label>_<property>`` in lower case.

    Raises:
        ConfigError: ``graph.indexes`` names an unknown label or property (with the closest match).
    """
    done = {"dataset_id", "column_id", "derives_from_valid_from", "derives_from_valid_to"}
    statements: list[str] = []
    for entry in indexes:
        label, _, prop = entry.strip().rpartition(".")
        if label and label not in _INDEX_TARGETS:
            raise ConfigError("graph.indexes", f"'{entry}': unknown label '{label}' (expected one of "
                              f"{', '.join(_INDEX_TARGETS)}){_closest(label, list(_INDEX_TARGETS))}")
        candidates = [label] if label else ["Dataset", "Column"]
        targets = [name for name in candidates if prop in _INDEX_TARGETS[name][1]]
        if not label and not targets and prop in DERIVES_FROM_PROPERTIES:
            targets = ["DERIVES_FROM"]
        if not targets:
            known = sorted({p for name in (candidates if label else _INDEX_TARGETS) for p in _INDEX_TARGETS[name][1]})
            raise ConfigError("graph.indexes", f"'{entry}': no property '{prop}' on "
                              f"{label or 'Dataset, Column or DERIVES_FROM'}{_closest(prop, known)}")
        for target in targets:
            name = f"{target.lower()}_{prop}"
            if name not in done:
                done.add(name)
                statements.append(f"CREATE INDEX {name} IF NOT EXISTS FOR {_INDEX_TARGETS[target][0]} ON (n.{prop})")
    return tuple(statements)


def _closest(word: str, known: list[str]) -> str:
    close = difflib.get_close_matches(word, known, n=1)
    return f"; did you mean '{close[0]}'?" if close else ""


def migrate_statements(backend: str) -> tuple[str, ...]:
    """Return the idempotent schema statements for ``backend`` (``embedded`` | ``neo4j``).

    Raises:
        ValueError: unknown backend name.
    """
    if backend == "embedded":
        return EMBEDDED_SCHEMA
    if backend == "neo4j":
        return NEO4J_SCHEMA
    raise ValueError(f"unknown graph backend {backend!r}; expected 'embedded' or 'neo4j'")
