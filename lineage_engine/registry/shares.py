"""Registry storage of outbound share accounts and external functions (issue 14 §4).

Functions take an open session (one :class:`~lineage_engine.registry.repository.Registry`
transaction). Replays change nothing: an interval is keyed by its start, and closing an
interval already closed is a no-op.

A share is recorded from its ``CREATE SHARE`` as a row with the empty account ``""`` (the
share exists), and one row per consumer account from ``ALTER SHARE … ADD | SET ACCOUNTS``.
``DROP SHARE`` and ``CREATE OR REPLACE SHARE`` close all of them and the grants to the share
(Snowflake drops the old share's grants and accounts).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from lineage_engine.registry.tables import ExternalFunctionRow, GrantFactRow, ShareAccountRow

if TYPE_CHECKING:  # the parser (sqlglot) is not loaded to read the facts
    from lineage_engine.access.share_parse import FunctionStatement, ShareStatement

SHARE_ITSELF = ""
"""The ``account`` of the row that says a share exists (from CREATE SHARE)."""


@dataclass(frozen=True, slots=True)
class ShareFacts:
    """What the history says about outbound shares at one instant.

    Attributes:
        known: shares any statement of the history created or altered (by then).
        accounts: share -> consumer accounts holding at that instant (from the first
            statement that added each), as ``{account: since}``.
        first_account: share -> ``(since, query id)`` of the earliest account holding then.
    """

    known: frozenset[str]
    accounts: dict[str, dict[str, datetime]]
    first_account: dict[str, tuple[datetime, str]]

    def exporting(self, share: str) -> bool:
        """Return True when ``share`` has a consumer account, or its accounts are unknown.

        A share no statement of the history created or altered (granted by a statement, or
        read by ``telemetry.sync_grants``, created before the history began) may have
        accounts: it counts as exporting (a false negative is the worse error).
        """
        return bool(self.accounts.get(share)) or share not in self.known


def _open(session: Session, share: str, account: str | None = None) -> list[ShareAccountRow]:
    query = select(ShareAccountRow).where(ShareAccountRow.share == share, ShareAccountRow.valid_to.is_(None))
    if account is not None:
        query = query.where(ShareAccountRow.account == account)
    return list(session.scalars(query))


def _start(session: Session, share: str, account: str, at: datetime, query_id: str) -> int:
    if _open(session, share, account):
        return 0  # already there (or this very statement replayed)
    if session.scalars(select(ShareAccountRow).where(ShareAccountRow.share == share, ShareAccountRow.account == account,
                                                     ShareAccountRow.valid_from == at)).first() is not None:
        return 0
    session.add(ShareAccountRow(share=share, account=account, valid_from=at, valid_to=None, query_id=query_id))
    session.flush()
    return 1


def _end(rows: Sequence[ShareAccountRow], at: datetime) -> int:
    changed = 0
    for row in rows:
        if row.valid_from <= at:
            row.valid_to = at
            changed += 1
    return changed


def record_share(session: Session, st: ShareStatement, at: datetime, query_id: str) -> int:
    """Apply one share statement at ``at`` (its END_TIME); return the rows changed."""
    changed = 0
    if st.action in ("drop", "replace"):
        changed += _end(_open(session, st.share), at)
        for grant in session.scalars(select(GrantFactRow).where(
                GrantFactRow.grantee_kind == "SHARE", GrantFactRow.grantee == st.share,
                GrantFactRow.valid_to.is_(None), GrantFactRow.valid_from <= at)):
            grant.valid_to = at
            changed += 1
        session.flush()
    if st.action in ("create", "replace"):
        changed += _start(session, st.share, SHARE_ITSELF, at, query_id)
    elif st.action in ("add", "set"):
        changed += _start(session, st.share, SHARE_ITSELF, at, query_id)  # altered: the share exists
        if st.action == "set":
            wanted = set(st.accounts)
            changed += _end([r for r in _open(session, st.share) if r.account not in (SHARE_ITSELF, *wanted)], at)
        for account in st.accounts:
            changed += _start(session, st.share, account, at, query_id)
    elif st.action == "remove":
        for account in st.accounts:
            changed += _end(_open(session, st.share, account), at)
    session.flush()
    return changed


def share_facts(session: Session, at: datetime) -> ShareFacts:
    """Return the shares known by ``at`` and their accounts holding at ``at`` (valid_from <= at < valid_to)."""
    known: set[str] = set()
    accounts: dict[str, dict[str, datetime]] = {}
    first: dict[str, tuple[datetime, str]] = {}
    for row in session.scalars(select(ShareAccountRow).where(ShareAccountRow.valid_from <= at)
                               .order_by(ShareAccountRow.valid_from, ShareAccountRow.id)):
        known.add(row.share)
        if row.account != SHARE_ITSELF and (row.valid_to is None or row.valid_to > at):
            accounts.setdefault(row.share, {})[row.account] = row.valid_from
            first.setdefault(row.share, (row.valid_from, row.query_id or ""))
    return ShareFacts(frozenset(known), accounts, first)


def account_ends(session: Session) -> list[datetime]:
    """Return the instants at which a share's consumer account was removed (or the share dropped), sorted."""
    rows = session.scalars(select(ShareAccountRow.valid_to).where(
        ShareAccountRow.valid_to.is_not(None), ShareAccountRow.account != SHARE_ITSELF).distinct())
    return sorted(r for r in rows if r is not None)


def record_function(session: Session, st: FunctionStatement, at: datetime, query_id: str) -> int:
    """Apply a CREATE / DROP FUNCTION: an external function starts or ends at ``at``."""
    changed = 0
    for row in session.scalars(select(ExternalFunctionRow).where(
            ExternalFunctionRow.function_id == st.function_id, ExternalFunctionRow.valid_to.is_(None),
            ExternalFunctionRow.valid_from < at)):
        if not (st.action == "create" and st.external):
            row.valid_to = at  # dropped, or replaced by a function that is not external
            changed += 1
    if st.action == "create" and st.external:
        exists = session.scalars(select(ExternalFunctionRow).where(
            ExternalFunctionRow.function_id == st.function_id,
            or_(ExternalFunctionRow.valid_to.is_(None), ExternalFunctionRow.valid_from == at))).first()
        if exists is None:
            session.add(ExternalFunctionRow(function_id=st.function_id, valid_from=at, valid_to=None,
                                            query_id=query_id))
            changed += 1
    session.flush()
    return changed


def external_functions(session: Session) -> list[tuple[str, datetime, datetime | None]]:
    """Return every external function interval ``(function id, valid_from, valid_to)``, by id then time."""
    rows = session.scalars(select(ExternalFunctionRow).order_by(ExternalFunctionRow.function_id,
                                                                ExternalFunctionRow.valid_from))
    return [(r.function_id, r.valid_from, r.valid_to) for r in rows]
