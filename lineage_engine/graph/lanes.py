"""Lineage lanes: one timeline of ``DERIVES_FROM`` intervals per kind of producer (issue 16).

The query history (``provenance`` ``parsed`` or ``access_history``) is one lane; every other
producer (``dbt`` artifacts, ``openlineage`` run events) is a lane of its own. Where two
lanes know the same edge (a dbt model that the query history also shows as a CTAS), both
intervals are kept, each with its provenance: ``export edges`` prints one row per lane, and
the exposure walk follows the union. A lane's events only open, re-observe and close that
lane's intervals (a dbt run replacing a model closes the dbt edges it no longer derives,
never the query history's), so producers that report late or out of each other's order
cannot cut one another's intervals.

Replays. The query-history lane skips events at or before each dataset's last applied event
(``last_event_at``, :mod:`.timeline`). Other lanes do not use those marks: their sources
keep their own watermark (a dbt run's invocation, an OpenLineage event's run id and time),
and re-folding an event at the same instant changes nothing. Such lanes do not mark drops
either (``dropped_at`` belongs to the query history).

Pure: names and Cypher text only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TypeVar

from lineage_engine.model import LineageEvent

QUERY_HISTORY = "query_history"
"""The lane of the crawler's own lineage (query text parsed, or ACCESS_HISTORY)."""

QUERY_HISTORY_PROVENANCES = frozenset({"parsed", "access_history"})
"""``provenance`` values that belong to the query-history lane (absent: edges stored before issue 3)."""


def lane_of(provenance: str | None) -> str:
    """Return the lane of an edge or event with ``provenance`` (``parsed`` -> ``query_history``)."""
    if not provenance or provenance in QUERY_HISTORY_PROVENANCES:
        return QUERY_HISTORY
    return provenance


T = TypeVar("T")


def split(events: Sequence[LineageEvent]) -> list[tuple[str, list[LineageEvent]]]:
    """Return ``events`` grouped by lane, each group in the given order, the query history first.

    Lanes fold independently (no lane reads or writes another's intervals), so the groups
    may be applied one after the other within one transaction.
    """
    groups: dict[str, list[LineageEvent]] = {}
    for event in events:
        groups.setdefault(lane_of(event.provenance), []).append(event)
    return sorted(groups.items(), key=lambda item: (item[0] != QUERY_HISTORY, item[0]))


def in_lane(rows: Iterable[T], lane: str) -> list[T]:
    """Return the rows (anything with ``provenance``) that belong to ``lane``, in order."""
    return [r for r in rows if lane_of(getattr(r, "provenance", None)) == lane]


def keyed_by_provenance(query: str, lane: str) -> str:
    """Return ``query`` with the edge's ``provenance`` added to its interval key, for other lanes.

    The query-history lane keeps its statements as they are (its provenance may change from
    ``parsed`` to ``access_history`` on one interval). Other lanes match and merge on
    ``provenance`` too, so their intervals never merge with another lane's. Works on the
    shapes of :mod:`.cypher_store` and :mod:`.column_cypher`: ``MERGE (d)-[e:DERIVES_FROM
    {valid_from: r.valid_from...}]->(u)`` and ``WHERE e.valid_from = r.valid_from``.

    Raises:
        ValueError: ``query`` has neither shape (a statement changed: update this function).
    """
    if lane == QUERY_HISTORY:
        return query
    if "{valid_from: r.valid_from" in query:
        return query.replace("{valid_from: r.valid_from", "{provenance: r.provenance, valid_from: r.valid_from", 1)
    if "WHERE e.valid_from = r.valid_from" in query:
        return query.replace("WHERE e.valid_from = r.valid_from",
                             "WHERE e.provenance = r.provenance AND e.valid_from = r.valid_from", 1)
    raise ValueError("not an interval statement: no 'valid_from: r.valid_from' key and no "
                     "'WHERE e.valid_from = r.valid_from' match")
