"""Registry storage of grant facts (issue 14 §3): dated privilege and role grants.

Functions take an open session (one :class:`~lineage_engine.registry.repository.Registry`
transaction). Replays change nothing: a grant is keyed by what it grants and its
``valid_from``; a revoke closes what is open at its time, and closing twice is a no-op.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from lineage_engine.registry.tables import GrantFactRow

if TYPE_CHECKING:  # annotations only: reading grants needs no SQL parser (start-up)
    from lineage_engine.access.grant_parse import GrantStatement


@dataclass(frozen=True, slots=True)
class GrantFact:
    """One grant interval (see :class:`~lineage_engine.registry.tables.GrantFactRow`)."""

    privilege: str
    on_kind: str
    scope: str
    object_id: str
    grantee_kind: str
    grantee: str
    valid_from: datetime
    valid_to: datetime | None
    origin: str
    query_id: str | None = None


def _key(row: Any) -> tuple[str, ...]:
    return (row.privilege, row.on_kind, row.scope, row.object_id, row.grantee_kind, row.grantee)


def record_statements(session: Session, statements: Sequence[tuple[GrantStatement, datetime, str]]) -> int:
    """Apply GRANT / REVOKE statements in order (statement, END_TIME, query id); return facts changed."""
    changed = 0
    for statement, at, query_id in statements:
        for privilege in statement.privileges:
            if statement.action == "grant":
                changed += _grant(session, statement, privilege, at, query_id)
            else:
                changed += _revoke(session, statement, privilege, at)
    session.flush()
    return changed


def _grant(session: Session, st: GrantStatement, privilege: str, at: datetime, query_id: str) -> int:
    open_rows = session.scalars(select(GrantFactRow).where(
        GrantFactRow.privilege == privilege, GrantFactRow.on_kind == st.on_kind, GrantFactRow.scope == st.scope,
        GrantFactRow.object_id == st.object_id, GrantFactRow.grantee_kind == st.grantee_kind,
        GrantFactRow.grantee == st.grantee, GrantFactRow.origin == "query_history",
        or_(GrantFactRow.valid_to.is_(None), GrantFactRow.valid_from == at))).all()
    if any(r.valid_from <= at for r in open_rows):
        return 0  # already granted (or this very statement replayed)
    session.add(GrantFactRow(privilege=privilege, on_kind=st.on_kind, scope=st.scope, object_id=st.object_id,
                             grantee_kind=st.grantee_kind, grantee=st.grantee, valid_from=at, valid_to=None,
                             origin="query_history", query_id=query_id))
    return 1


def _revoke(session: Session, st: GrantStatement, privilege: str, at: datetime) -> int:
    conditions = [GrantFactRow.object_id == st.object_id, GrantFactRow.grantee_kind == st.grantee_kind,
                  GrantFactRow.grantee == st.grantee, GrantFactRow.scope == st.scope,
                  GrantFactRow.valid_to.is_(None), GrantFactRow.valid_from <= at]
    if privilege != "ALL":
        conditions.append(GrantFactRow.privilege == privilege)
    changed = 0
    for row in session.scalars(select(GrantFactRow).where(*conditions)):
        row.valid_to = at  # a revoke ends the grant whatever stated it
        changed += 1
    return changed


def sync(session: Session, facts: Iterable[GrantFact]) -> int:
    """Upsert grant intervals read from ``ACCOUNT_USAGE`` (keyed by grant, origin and valid_from)."""
    changed = 0
    for fact in facts:
        row = session.scalars(select(GrantFactRow).where(
            GrantFactRow.privilege == fact.privilege, GrantFactRow.on_kind == fact.on_kind,
            GrantFactRow.scope == fact.scope, GrantFactRow.object_id == fact.object_id,
            GrantFactRow.grantee_kind == fact.grantee_kind, GrantFactRow.grantee == fact.grantee,
            GrantFactRow.origin == fact.origin, GrantFactRow.valid_from == fact.valid_from)).first()
        if row is None:
            session.add(GrantFactRow(privilege=fact.privilege, on_kind=fact.on_kind, scope=fact.scope,
                                     object_id=fact.object_id, grantee_kind=fact.grantee_kind, grantee=fact.grantee,
                                     valid_from=fact.valid_from, valid_to=fact.valid_to, origin=fact.origin))
            changed += 1
        elif row.valid_to != fact.valid_to:
            row.valid_to = fact.valid_to
            changed += 1
    session.flush()
    return changed


def facts_at(session: Session, at: datetime) -> list[GrantFact]:
    """Return the grant intervals holding at ``at`` (valid_from <= at < valid_to)."""
    rows = session.scalars(select(GrantFactRow).where(
        GrantFactRow.valid_from <= at, or_(GrantFactRow.valid_to.is_(None), GrantFactRow.valid_to > at)))
    return [GrantFact(r.privilege, r.on_kind, r.scope, r.object_id, r.grantee_kind, r.grantee, r.valid_from,
                      r.valid_to, r.origin, r.query_id) for r in rows]


def history(session: Session, grantee_kinds: Sequence[str] | None = None) -> list[GrantFact]:
    """Return every grant interval (ended ones too), by ``valid_from`` then id; only grants to
    ``grantee_kinds`` when given (``("SHARE", "DATABASE ROLE")``: what a share can read through)."""
    query = select(GrantFactRow).order_by(GrantFactRow.valid_from, GrantFactRow.id)
    if grantee_kinds is not None:
        query = query.where(GrantFactRow.grantee_kind.in_(list(grantee_kinds)))
    return [GrantFact(r.privilege, r.on_kind, r.scope, r.object_id, r.grantee_kind, r.grantee, r.valid_from,
                      r.valid_to, r.origin, r.query_id) for r in session.scalars(query)]

