"""Which column-lineage rules wrote a graph's column edges: a marker kept in the graph.

The ``cast`` transform (review s15 T1, T3; :data:`~lineage_engine.model.TRANSFORMS`) tells a
copy through a cast or a set operation from a plain ``identity`` copy: only ``identity`` gives
the copy its upstream's data type, which decides whether a tag's masking policy masks it
(:mod:`lineage_engine.exposure.masking`, rule 6). A graph crawled before that rule holds such
copies as ``identity``: typed from their upstream, a VARIANT copy of a STRING column is taken as
masked by the tag's STRING policy (a false negative). A replay cannot fix it alone: a
re-observed interval keeps the more revealing of its stored and its new transform, and
``identity`` ranks above ``cast``.

So the graph keeps one ``LineageRules`` node (``id`` ``column_edges``; both backends):

- ``rules``: :data:`RULES`, the rules the graph's column edges are written under;
- ``upgraded_at``: when the migration step (:func:`upgrade_column_rules`, run by
  ``GraphStore.migrate``) finished; null while it runs (a crash resumes it);
- ``demoted``: how many query-history ``identity`` column edges it stored as ``cast``;
- ``settled_at``: when a crawl of the query history from its start (``crawl
  --reset-watermark``) finished after that; null until then.

An old graph is one with column edges and no marker: the migration stores every
query-history ``identity`` column edge of it as ``cast`` (the value still flows; the copy is
not typed: an over-report, never under), in batches of :data:`BATCH` edges, each in its own
transaction with the marker's count. A replay then gives ``identity`` back, per edge, to each
copy the history shows unchanged (``cast`` -> ``identity`` is a reveal, as a fresh crawl makes
it), and leaves the true casts ``cast``: the graph is the one a fresh crawl builds. An empty
graph gets the marker settled at once: fresh graphs are never demoted. A graph read before it
was migrated (a read-only open, Neo4j without ``graph.migrate_on_open``) is demoted as it is read
(:func:`column_rules_of`). Either way the answer says how many copies are not typed until the
replay (``scan``'s coverage notes).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Any

from lineage_engine.graph.lanes import QUERY_HISTORY_PROVENANCES
from lineage_engine.model import EdgeRow, SavedTrace

RULES = 2
"""The column-lineage rules of this release: 1 had no ``cast`` transform, 2 has it."""

BATCH = 100_000
"""Column edges stored as ``cast`` per transaction of the migration step."""

_PROVENANCES = ", ".join(f"'{p}'" for p in sorted(QUERY_HISTORY_PROVENANCES))
_OLD_COPIES = ("MATCH (:`Column`)-[e:DERIVES_FROM]->(:`Column`) WHERE e.transform = 'identity' "
               f"AND (e.provenance IS NULL OR e.provenance IN [{_PROVENANCES}]) ")
_MARKER = "MATCH (m:LineageRules {id: 'column_edges'}) "
_READ = SavedTrace(
    name="_column_rules",
    text=_MARKER + "RETURN m.rules AS rules, m.upgraded_at AS upgraded_at, m.demoted AS demoted, "
                   "m.settled_at AS settled_at",
    description="The marker of the rules the graph's column edges were written under (graph/column_rules.py).",
)
_TABLES = SavedTrace(name="_graph_tables", text="CALL show_tables() RETURN name",
                     description="The embedded graph's tables (an old graph read before migration has no marker).")
_ANY_COLUMN_EDGE = SavedTrace(name="_any_column_edge",
                              text="MATCH (:`Column`)-[e:DERIVES_FROM]->(:`Column`) RETURN e.valid_from AS at LIMIT 1",
                              description="One column edge, if the graph holds any.")
_COUNT_OLD = SavedTrace(name="_old_column_copies", text=_OLD_COPIES + "RETURN count(e) AS n",
                        description="Query-history identity column edges (an old graph read before migration).")


@dataclass(frozen=True, slots=True)
class ColumnRules:
    """The marker as read (:func:`column_rules_of`).

    Attributes:
        untyped: query-history copies (column edges) not typed from their upstream until a
            replay settles them: the marker's ``demoted`` count before ``settled_at``; on a
            graph not migrated yet, its ``identity`` ones. 0 on a fresh or settled graph.
        demote_on_read: the graph was not migrated yet (no marker, or its migration did not
            finish): a reader stores nothing but must read those ``identity`` edges as ``cast``.
    """

    untyped: int = 0
    demote_on_read: bool = False

    def rows(self, column_rows: Iterable[EdgeRow]) -> tuple[EdgeRow, ...]:
        """Return ``column_rows`` as the migration will store them (identity -> cast when
        :attr:`demote_on_read`), in the given order."""
        if not self.demote_on_read:
            return tuple(column_rows)
        return tuple(replace(r, transform="cast") if _old_copy(r) else r for r in column_rows)


def _old_copy(row: EdgeRow) -> bool:
    return row.transform == "identity" and (not row.provenance or row.provenance in QUERY_HISTORY_PROVENANCES)


def _marker(store: Any) -> dict[str, object] | None:
    if store.backend == "embedded" and "LineageRules" not in {str(r["name"]) for r in store.run_trace(_TABLES, {})}:
        return None  # an old graph opened read-only before any read-write open migrated it
    rows = store.run_trace(_READ, {})
    return rows[0] if rows else None


def column_rules_of(store: Any) -> ColumnRules:
    """Return what the marker says about the column edges of ``store`` (a ``GraphStore``); read-only.

    One marker read on a fresh or upgraded graph; on one not migrated yet, one count of its
    query-history ``identity`` column edges too.

    Raises:
        GraphError: the graph could not be read.
    """
    marker = _marker(store)
    if marker is not None and marker.get("upgraded_at") is not None:
        settled = marker.get("settled_at") is not None
        return ColumnRules(untyped=0 if settled else int(marker.get("demoted") or 0))  # type: ignore[call-overload]
    if marker is None and not store.run_trace(_ANY_COLUMN_EDGE, {}):
        return ColumnRules()  # empty: nothing to type
    old = int(store.run_trace(_COUNT_OLD, {})[0]["n"])  # type: ignore[call-overload]
    done = int(marker.get("demoted") or 0) if marker is not None else 0  # type: ignore[call-overload]
    return ColumnRules(untyped=old + done, demote_on_read=True)


def upgrade_column_rules(store: Any, now: datetime | None = None) -> int:
    """Mark the graph's column rules; on an old graph store its query-history ``identity`` column
    edges as ``cast`` first. Run by ``migrate()`` on a writable ``CypherGraphStore``; idempotent, and a
    migration stopped half-way resumes where it stopped (each batch commits with its count).

    Args:
        now: the upgrade instant (aware UTC); default the clock.

    Returns:
        The column edges stored as ``cast`` by this call (0 on a fresh or already upgraded graph).

    Raises:
        GraphError: the graph could not be read or written (batches already committed stay).
    """
    now = now or datetime.now(timezone.utc)
    with store._lock, store._transaction(read_only=False):
        rows = store._execute(_READ.text, {})
        if rows and rows[0].get("upgraded_at") is not None:
            return 0
        if not rows:
            if not store._execute(_ANY_COLUMN_EDGE.text, {}):  # fresh: written under these rules from the start
                # MERGE: two processes migrating one Neo4j graph at once both get here (the id is unique)
                store._execute("MERGE (m:LineageRules {id: 'column_edges'}) ON CREATE SET m.rules = $rules, "
                               "m.upgraded_at = $now, m.demoted = 0, m.settled_at = $now", {"rules": RULES, "now": now})
                return 0
            store._execute("MERGE (m:LineageRules {id: 'column_edges'}) ON CREATE SET m.rules = $rules, m.demoted = 0",
                           {"rules": RULES})
    demoted = 0
    while True:
        with store._lock, store._transaction(read_only=False):
            n = int(store._execute(f"{_OLD_COPIES}WITH e LIMIT {BATCH} SET e.transform = 'cast' "
                                   "RETURN count(e) AS n", {})[0]["n"])
            if n:
                store._execute(_MARKER + "SET m.demoted = m.demoted + $n", {"n": n})
            else:
                store._execute(_MARKER + "SET m.upgraded_at = $now", {"now": now})
        demoted += n
        if not n:
            return demoted


def settle_column_rules(store: Any, now: datetime | None = None) -> bool:
    """Record that a crawl of the query history from its start finished on an upgraded graph:
    its replay gave ``identity`` back to every copy it showed unchanged. Idempotent.

    Called after such a crawl (``crawl --reset-watermark``, or a first crawl) of the configured
    query-history source that was not stopped; not after ``crawl --path`` of another file (it replays
    none of the history, review s18). Copies older than the history the source still holds stay ``cast`` (not typed:
    an over-report, never under).

    Returns:
        True when this call settled the graph (False: fresh, already settled, or not upgraded).

    Raises:
        GraphError: the graph could not be written.
    """
    now = now or datetime.now(timezone.utc)
    with store._lock, store._transaction(read_only=False):
        rows = store._execute(_MARKER + "WHERE m.upgraded_at IS NOT NULL AND m.settled_at IS NULL "
                              "SET m.settled_at = $now RETURN m.demoted AS demoted", {"now": now})
    return bool(rows)
