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


def record_statements(session: Session, statements: Sequence[tuple[Any, datetime, str]]) -> int:
    """Apply GRANT / REVOKE statements (and ownership statements: :mod:`lineage_engine.access.ownership`)
    in order (statement, END_TIME, query id); return facts changed."""
    changed = 0
    memo: _Owners | None = None  # ownership facts read once for a run of CREATEs (see _Owners)
    for position, (statement, at, query_id) in enumerate(statements):
        if _adds_ownership(statement):
            memo = None
        if getattr(statement, "databases", None) is not None:  # a ReplicationStatement
            changed += record_replication(session, statement, at, query_id)
            continue
        if not hasattr(statement, "privileges"):  # an OwnershipStatement
            if memo is None and statement.action != "drop_role":
                memo = _Owners.load(session, statements[position:])
            changed += record_ownership(session, statement, at, query_id, None if statement.action == "drop_role" else memo)
            continue
        if statement.action == "grant" and "OWNERSHIP" in statement.privileges:
            changed += _transfer(session, statement, at)
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


@dataclass(frozen=True, slots=True)
class _ShareGrant:
    """``GRANT SELECT ON ALL TABLES IN DATABASE db TO SHARE s`` (the shape :func:`_grant` reads)."""

    object_id: str
    grantee: str
    on_kind: str = "DATABASE"
    scope: str = "all"
    grantee_kind: str = "SHARE"


def record_replication(session: Session, st: Any, at: datetime, query_id: str) -> int:
    """Apply a :class:`~lineage_engine.access.replication.ReplicationStatement`: its databases are granted
    (``SELECT`` on all their tables) to its pseudo share, and its accounts are the share's consumers."""
    from lineage_engine.registry.shares import record_share

    changed = record_share(session, st, at, query_id)
    for database in st.databases:
        changed += _grant(session, _ShareGrant(database, st.share), "SELECT", at, query_id)  # type: ignore[arg-type]
    session.flush()
    return changed


OWNERSHIP = "OWNERSHIP"
ROLE_KINDS = ("ROLE", "DATABASE ROLE", "APPLICATION ROLE")


def _adds_ownership(statement: Any) -> bool:
    """True for a statement that may add an OWNERSHIP fact other than by a CREATE's :func:`record_ownership`
    (``GRANT OWNERSHIP``, a FUTURE one too, and ``DROP ROLE``, whose objects pass to another role)."""
    if getattr(statement, "databases", None) is not None:  # replication: SELECT grants to its share
        return False
    if not hasattr(statement, "privileges"):
        return statement.action == "drop_role"
    return statement.action == "grant" and "OWNERSHIP" in statement.privileges


class _Owners:
    """The query-history OWNERSHIP facts a run of CREATE statements asks about, read in two queries.

    A crawl meets an ownership statement at nearly every CREATE (dbt's ``CREATE OR REPLACE`` at
    every run), and each asked three queries (open owner, FUTURE owner, the fact already
    stored), about 1 ms each through the ORM: a third of the crawl's CPU on the first rows of
    the 1M-row history (issue 13). Here every fact of scope ``object`` of the run's objects
    (open or ended: a replay finds its own fact by ``valid_from``) and the open FUTURE
    ownership grants on their schemas and databases are read once; :func:`record_ownership` then answers the same three
    questions from them, with the same predicates, and appends what it adds. The rows are the
    session's own objects (its identity map), so what a REVOKE or a transfer changes on them is
    seen here; a statement that may add OWNERSHIP facts some other way (:func:`_adds_ownership`)
    makes :func:`record_statements` read them again. Loaded for the objects of the CREATEs
    up to the next such statement.
    """

    __slots__ = ("objects", "future")

    def __init__(self, objects: dict[str, list[GrantFactRow]], future: list[GrantFactRow]) -> None:
        self.objects = objects
        self.future = future

    @classmethod
    def load(cls, session: Session, statements: Sequence[tuple[Any, datetime, str]]) -> _Owners:
        ids_: set[str] = set()
        for st, _, _ in statements:
            if _adds_ownership(st):
                break
            if not hasattr(st, "privileges") and getattr(st, "databases", None) is None:
                ids_.add(st.object_id)
        objects: dict[str, list[GrantFactRow]] = {i: [] for i in sorted(ids_)}
        containers = {".".join(i.split(".")[:n]) for i in ids_ for n in (1, 2)}  # where FUTURE grants are
        # By object id alone (its index), the rest tested here: on SQLite without statistics a
        # condition on ``privilege`` made the planner pick the unique key's index and read every
        # OWNERSHIP fact (a cost growing with the history: 28 s per 25,000 rows by row 100,000).
        rows: list[GrantFactRow] = []
        wanted = sorted(set(objects) | containers)
        for start in range(0, len(wanted), 500):
            rows += session.scalars(select(GrantFactRow).where(GrantFactRow.object_id.in_(wanted[start:start + 500])))
        rows = [r for r in rows if r.privilege == OWNERSHIP and r.origin == "query_history"]
        rows.sort(key=lambda r: r.id)
        for r in rows:
            if r.scope == "object" and r.object_id in objects:
                objects[r.object_id].append(r)
        return cls(objects, [r for r in rows if r.scope == "future" and r.valid_to is None])

    def open_at(self, object_id: str, at: datetime) -> list[GrantFactRow]:
        """:func:`_open_ownership` of scope ``object``."""
        return [r for r in self.objects[object_id] if r.valid_to is None and r.valid_from <= at]

    def future_owner(self, object_id: str, at: datetime) -> GrantFactRow | None:
        """:func:`_future_owner`."""
        parts = object_id.split(".")
        schema, database = ".".join(parts[:2]), parts[0]
        rows = [r for r in self.future if r.object_id in (schema, database) and r.valid_to is None
                and r.valid_from <= at]
        return max(rows, key=lambda r: (r.object_id == schema, r.valid_from)) if rows else None

    def own(self, session: Session, object_id: str, grantee_kind: str, grantee: str, at: datetime,
            query_id: str) -> int:
        """:func:`_own` of a ``TABLE`` of scope ``object``."""
        for r in self.objects[object_id]:
            if r.on_kind == "TABLE" and r.grantee_kind == grantee_kind and r.grantee == grantee and (
                    r.valid_to is None or r.valid_from == at):
                return 0
        row = GrantFactRow(privilege=OWNERSHIP, on_kind="TABLE", scope="object", object_id=object_id,
                           grantee_kind=grantee_kind, grantee=grantee, valid_from=at, valid_to=None,
                           origin="query_history", query_id=query_id)
        session.add(row)
        self.objects[object_id].append(row)
        return 1


def _open_ownership(session: Session, object_id: str, at: datetime, scope: str = "object") -> list[GrantFactRow]:
    return list(session.scalars(select(GrantFactRow).where(
        GrantFactRow.privilege == OWNERSHIP, GrantFactRow.scope == scope, GrantFactRow.object_id == object_id,
        GrantFactRow.origin == "query_history", GrantFactRow.valid_to.is_(None), GrantFactRow.valid_from <= at)))


def _transfer(session: Session, st: GrantStatement, at: datetime) -> int:
    """``GRANT OWNERSHIP``: the previous owner's OWNERSHIP ends (``ALL … IN``: of every object in the
    container, and of the container's earlier ALL grant); ``REVOKE CURRENT GRANTS``: the other
    grants on the object end too. A FUTURE ownership grant ends the earlier FUTURE one only."""
    changed = 0
    if st.scope == "future":
        rows = _open_ownership(session, st.object_id, at, "future")
    elif st.scope == "all":
        prefix = st.object_id + "."
        rows = [*_open_ownership(session, st.object_id, at, "all"), *session.scalars(select(GrantFactRow).where(
            GrantFactRow.privilege == OWNERSHIP, GrantFactRow.scope == "object",
            GrantFactRow.object_id.startswith(prefix, autoescape=True), GrantFactRow.origin == "query_history",
            GrantFactRow.valid_to.is_(None), GrantFactRow.valid_from <= at))]
    else:
        rows = _open_ownership(session, st.object_id, at)
    for row in rows:
        if (row.grantee_kind, row.grantee) != (st.grantee_kind, st.grantee) and row.valid_from < at:
            row.valid_to = at
            changed += 1
    if getattr(st, "current_grants", "") == "revoke" and st.scope == "object":
        for row in session.scalars(select(GrantFactRow).where(
                GrantFactRow.object_id == st.object_id, GrantFactRow.scope == "object",
                GrantFactRow.privilege != OWNERSHIP, GrantFactRow.on_kind != "ROLE",
                GrantFactRow.origin == "query_history", GrantFactRow.valid_to.is_(None),
                GrantFactRow.valid_from < at)):
            row.valid_to = at
            changed += 1
    return changed


def _future_owner(session: Session, object_id: str, at: datetime) -> GrantFactRow | None:
    """Return the FUTURE ownership grant covering a new object: on its schema, else its database."""
    parts = object_id.split(".")
    schema, database = ".".join(parts[:2]), parts[0]
    rows = list(session.scalars(select(GrantFactRow).where(
        GrantFactRow.privilege == OWNERSHIP, GrantFactRow.scope == "future",
        GrantFactRow.object_id.in_([schema, database]), GrantFactRow.origin == "query_history",
        GrantFactRow.valid_to.is_(None), GrantFactRow.valid_from <= at)))
    if not rows:
        return None
    return max(rows, key=lambda r: (r.object_id == schema, r.valid_from))  # the schema's wins


def record_ownership(session: Session, st: Any, at: datetime, query_id: str, memo: _Owners | None = None) -> int:
    """Apply an :class:`~lineage_engine.access.ownership.OwnershipStatement` at ``at``; return facts changed.

    ``create``: the creating role (or the grantee of a FUTURE ownership grant on the schema or
    database) owns the object from ``at``; an earlier owner's OWNERSHIP ends, the same owner's
    continues (a dbt ``CREATE OR REPLACE`` every run adds nothing). ``create_keep``: the same,
    unless the object has an owner. ``drop_role``: every open grant to the role and of the role
    ends at ``at``; its OWNERSHIP facts pass to the role that dropped it. ``memo``: the facts of a
    run of CREATEs read once (:class:`_Owners`; not for ``drop_role``).
    """
    changed = 0
    if st.action == "drop_role":
        owned: list[GrantFactRow] = []
        for row in session.scalars(select(GrantFactRow).where(
                GrantFactRow.valid_to.is_(None), GrantFactRow.valid_from < at,
                or_((GrantFactRow.grantee_kind == "ROLE") & (GrantFactRow.grantee == st.object_id),
                    (GrantFactRow.on_kind == "ROLE") & (GrantFactRow.object_id == st.object_id)))):
            row.valid_to = at
            changed += 1
            if row.privilege == OWNERSHIP and row.grantee == st.object_id:
                owned.append(row)
        session.flush()
        if st.role and st.role != st.object_id:
            for row in owned:
                changed += _own(session, row.on_kind, row.scope, row.object_id, "ROLE", st.role, at, query_id)
        session.flush()
        return changed
    open_rows = _open_ownership(session, st.object_id, at) if memo is None else memo.open_at(st.object_id, at)
    if st.action == "create_keep" and open_rows:
        return 0
    future = _future_owner(session, st.object_id, at) if memo is None else memo.future_owner(st.object_id, at)
    kind, owner = (future.grantee_kind, future.grantee) if future is not None else ("ROLE", st.role)
    if any((r.grantee_kind, r.grantee) == (kind, owner) for r in open_rows):
        return 0  # the same owner: the interval goes on
    for row in open_rows:
        if row.valid_from < at:
            row.valid_to = at
            changed += 1
    if memo is not None:
        return changed + memo.own(session, st.object_id, kind, owner, at, query_id)  # flushed with the batch
    changed += _own(session, "TABLE", "object", st.object_id, kind, owner, at, query_id)
    session.flush()
    return changed


def _own(session: Session, on_kind: str, scope: str, object_id: str, grantee_kind: str, grantee: str,
         at: datetime, query_id: str) -> int:
    exists = session.scalars(select(GrantFactRow).where(
        GrantFactRow.privilege == OWNERSHIP, GrantFactRow.on_kind == on_kind, GrantFactRow.scope == scope,
        GrantFactRow.object_id == object_id, GrantFactRow.grantee_kind == grantee_kind,
        GrantFactRow.grantee == grantee, GrantFactRow.origin == "query_history",
        or_(GrantFactRow.valid_to.is_(None), GrantFactRow.valid_from == at))).first()
    if exists is not None:
        return 0
    session.add(GrantFactRow(privilege=OWNERSHIP, on_kind=on_kind, scope=scope, object_id=object_id,
                             grantee_kind=grantee_kind, grantee=grantee, valid_from=at, valid_to=None,
                             origin="query_history", query_id=query_id))
    return 1
