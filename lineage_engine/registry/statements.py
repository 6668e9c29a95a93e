"""Who ran the statements that changed lineage: query id, type, user, role, end time.

Written by the crawl (one row per query id that produced lineage events; a replay inserts
nothing new) and read by the scan, so a finding names the statement that put the data
into its terminal (issue 10 §6). Query text is never stored.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from lineage_engine.model import Statement
from lineage_engine.registry.tables import StatementRow

_CHUNK = 500


def insert(session: Session, statements: Sequence[Statement]) -> None:
    """Insert statements; a query id already stored is left as it is."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    unique = {s.query_id: s for s in statements}
    values = [{"query_id": s.query_id[:256], "query_type": (s.query_type or "")[:64],
               "user_name": s.user_name[:256] if s.user_name else None,
               "role_name": s.role_name[:256] if s.role_name else None, "end_time": s.end_time}
              for s in unique.values()]
    if values:  # executemany: one compiled statement (a 500-row VALUES list was compiled anew per batch)
        session.execute(dialect.insert(StatementRow.__table__).on_conflict_do_nothing(index_elements=["query_id"]),
                        values)


def fetch(session: Session, query_ids: Sequence[str]) -> dict[str, Statement]:
    """Return the stored statements among ``query_ids``, by query id."""
    wanted = sorted(set(query_ids))
    found: dict[str, Statement] = {}
    for start in range(0, len(wanted), _CHUNK):
        rows = session.scalars(select(StatementRow).where(StatementRow.query_id.in_(wanted[start : start + _CHUNK])))
        for r in rows:
            found[r.query_id] = Statement(r.query_id, r.query_type, r.user_name, r.role_name, r.end_time)
    return found
