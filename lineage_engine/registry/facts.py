"""Registry facts with history: timelines of dated facts, and the facts of one instant (issue 10 §2).

A **timeline** is every row of ``registry_facts`` with one (catalog_path, fact, key, origin):
intervals ``[valid_from, valid_to)`` that never overlap. :func:`state_fact` puts a statement
("from T on, the value is V") into its timeline wherever T falls, closing the interval that
held at T and ending the new one where the next statement begins, so a backfill that
arrives out of order gives the same timeline as one in order, and a replayed statement
changes nothing (idempotent: crash-safe crawls re-run batches).

**Which origin wins at an instant** (:func:`facts_as_of`): for each (catalog_path, fact, key)
the fact of the newest statement holding at T, whatever its origin: an ``ALTER … UNSET
MASKING POLICY`` at 10:00 beats a classification file imported with a policy, and an
import that changes the policy at 11:00 beats that ``UNSET``. On equal ``valid_from`` the
warehouse (query history, then ACCOUNT_USAGE) beats the file.

**Imports** (:func:`import_history`): the first import of a path states its facts from the
epoch (the file describes the asset without a date); a later import that changes a fact
closes the old value and opens the new one at the import time; re-importing the same file
changes nothing. Removing an asset closes its import facts.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from lineage_engine.model import Asset, RegistryFact, canonical_id, split_id
from lineage_engine.registry.tables import FACT_KINDS, FACT_ORIGINS, AssetRow, FactRow

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
"""``valid_from`` of facts known without a date (first import, carried-over assets)."""

ASSET_FACTS: tuple[str, ...] = ("classification", "regulatory_tags", "steward", "masking_policy")
"""The facts a classification file states for each asset."""

_ORIGIN_RANK = {"import": 0, "columns": 1, "tag_references": 2, "policy_references": 3, "query_history": 4}


def _stored(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def _domain(row: FactRow) -> RegistryFact:
    value = tuple(row.value) if isinstance(row.value, list) else row.value
    return RegistryFact(catalog_path=row.catalog_path, fact=row.fact, value=value, valid_from=row.valid_from,
                        valid_to=row.valid_to, origin=row.origin, key=row.key, query_id=row.query_id)


def check_fact(fact: RegistryFact) -> None:
    """Raise ``ValueError`` unless ``fact`` has a known kind and origin, a path and an aware time."""
    if fact.fact not in FACT_KINDS:
        raise ValueError(f"unknown registry fact '{fact.fact}'; use one of {', '.join(FACT_KINDS)}")
    if fact.origin not in FACT_ORIGINS:
        raise ValueError(f"unknown fact origin '{fact.origin}'; use one of {', '.join(FACT_ORIGINS)}")
    if not fact.catalog_path.strip():
        raise ValueError("a registry fact needs a catalog_path")
    if fact.valid_from.tzinfo is None or fact.valid_from.utcoffset() is None:
        raise ValueError(f"fact on '{fact.catalog_path}': valid_from must be timezone-aware (UTC)")


def state_fact(session: Session, fact: RegistryFact, now: datetime) -> bool:
    """Put "from ``fact.valid_from`` on, the value is ``fact.value``" into its timeline.

    ``fact.valid_to`` is ignored: the interval ends where the timeline's next statement
    begins (or where the interval it splits ended). Returns True when the timeline changed;
    a statement already there, or one that restates the value holding at that instant,
    changes nothing.
    """
    check_fact(fact)
    path, at = canonical_id(fact.catalog_path), fact.valid_from
    timeline = (FactRow.catalog_path == path, FactRow.fact == fact.fact, FactRow.key == fact.key,
                FactRow.origin == fact.origin)
    same = session.scalars(select(FactRow).where(*timeline, FactRow.valid_from == at)).first()
    prev = nxt = None
    if same is None:
        prev = session.scalars(
            select(FactRow).where(*timeline, FactRow.valid_from < at).order_by(FactRow.valid_from.desc()).limit(1)
        ).first()
        nxt = session.scalars(
            select(FactRow).where(*timeline, FactRow.valid_from > at).order_by(FactRow.valid_from).limit(1)
        ).first()
    added = _place(fact, path, same, prev, nxt, now)
    if isinstance(added, FactRow):
        session.add(added)
        session.flush()
    return added is not False


def state_facts(session: Session, facts: Iterable[RegistryFact], now: datetime) -> int:
    """Apply :func:`state_fact` to each of ``facts`` in order; return how many changed a timeline.

    The same result, with the stored timelines of the facts' paths read once (500 paths per
    ``IN``) and placed in memory, instead of up to three reads per fact: a crawl batch states
    a ``data_type`` fact for every column of every ``CREATE TABLE`` it reads.
    """
    facts = list(facts)
    for fact in facts:
        check_fact(fact)
    paths = sorted({canonical_id(f.catalog_path) for f in facts})
    timelines: dict[tuple[str, str, str, str], list[FactRow]] = {}
    for start in range(0, len(paths), 500):
        for row in session.scalars(select(FactRow).where(FactRow.catalog_path.in_(paths[start : start + 500]))):
            timelines.setdefault((row.catalog_path, row.fact, row.key, row.origin), []).append(row)
    for rows in timelines.values():
        rows.sort(key=lambda r: r.valid_from)
    changed = 0
    for fact in facts:
        path, at = canonical_id(fact.catalog_path), fact.valid_from
        rows = timelines.setdefault((path, fact.fact, fact.key, fact.origin), [])
        i = bisect_left(rows, at, key=lambda r: r.valid_from)
        same = rows[i] if i < len(rows) and rows[i].valid_from == at else None
        prev = rows[i - 1] if same is None and i > 0 else None
        nxt = rows[i] if same is None and i < len(rows) else None
        added = _place(fact, path, same, prev, nxt, now)
        if isinstance(added, FactRow):
            session.add(added)
            rows.insert(i, added)
        changed += added is not False
    session.flush()
    return changed


def _place(fact: RegistryFact, path: str, same: FactRow | None, prev: FactRow | None, nxt: FactRow | None,
           now: datetime) -> FactRow | bool:
    """Apply ``fact`` to its timeline, given the rows starting at, just before and just after it.

    Returns False (nothing changed), True (``same`` updated in place) or the new row to add
    (``prev`` is closed at the new row's start when it covered it).
    """
    at, value = fact.valid_from, _stored(fact.value)
    if same is not None:
        if same.value == value:
            return False
        same.value, same.query_id, same.recorded_at = value, fact.query_id, now
        return True
    prev_covers = prev is not None and (prev.valid_to is None or prev.valid_to > at)
    if prev_covers and prev.value == value:
        return False
    ends = [nxt.valid_from] if nxt is not None else []
    if prev_covers:
        if prev.valid_to is not None:
            ends.append(prev.valid_to)
        prev.valid_to = at
    return FactRow(catalog_path=path, fact=fact.fact, key=fact.key, value=value, origin=fact.origin,
                   valid_from=at, valid_to=min(ends) if ends else None, query_id=fact.query_id, recorded_at=now)


def import_history(session: Session, assets: Sequence[Asset], now: datetime) -> None:
    """Record the facts of imported (normalised, one per path) ``assets`` in their import timelines.

    The stored import rows of the paths are read in chunks of 500 paths and placed in
    memory (the same rule as :func:`state_fact`), so an import costs a few queries,
    not several per asset.
    """
    timelines: dict[tuple[str, str], list[FactRow]] = {}
    paths = sorted({asset.catalog_path for asset in assets})
    for start in range(0, len(paths), 500):
        query = select(FactRow).where(FactRow.catalog_path.in_(paths[start : start + 500]), FactRow.origin == "import")
        for row in session.scalars(query):
            timelines.setdefault((row.catalog_path, row.fact), []).append(row)
    known = {path for path, _ in timelines}
    for asset in assets:
        at = now if asset.catalog_path in known else EPOCH
        values = {"classification": asset.classification, "regulatory_tags": asset.regulatory_tags or None,
                  "steward": asset.steward, "masking_policy": asset.masking_policy}
        for name, value in values.items():
            rows = timelines.setdefault((asset.catalog_path, name), [])
            if value is None and not any(r.valid_to is None and r.value is not None for r in rows):
                continue  # nothing stated before: "none" says nothing new
            fact = RegistryFact(asset.catalog_path, name, value, at)
            check_fact(fact)
            line = [r for r in rows if r.key == fact.key]
            same = next((r for r in line if r.valid_from == at), None)
            prev = max((r for r in line if r.valid_from < at), key=lambda r: r.valid_from, default=None)
            nxt = min((r for r in line if r.valid_from > at), key=lambda r: r.valid_from, default=None)
            added = _place(fact, canonical_id(asset.catalog_path), same, prev, nxt, now)
            if isinstance(added, FactRow):
                session.add(added)
                rows.append(added)
    session.flush()


def close_import_facts(session: Session, paths: Iterable[str], at: datetime) -> None:
    """End every open import fact of ``paths`` at ``at`` (the assets were removed)."""
    wanted = sorted(set(paths))
    for start in range(0, len(wanted), 500):
        query = select(FactRow).where(FactRow.catalog_path.in_(wanted[start : start + 500]),
                                      FactRow.origin == "import", FactRow.valid_to.is_(None))
        for row in session.scalars(query):
            row.valid_to = at


def fact_history(
    session: Session, *, fact: str | None = None, paths: Iterable[str] | None = None
) -> list[RegistryFact]:
    """Return stored facts (all, of one kind, and/or of some paths) by path, fact, key, valid_from."""
    query = select(FactRow)
    if fact is not None:
        query = query.where(FactRow.fact == fact)
    rows: list[RegistryFact] = []
    if paths is None:
        rows = [_domain(r) for r in session.scalars(query)]
    else:
        wanted = sorted({canonical_id(p) for p in paths})
        for start in range(0, len(wanted), 500):
            chunk = query.where(FactRow.catalog_path.in_(wanted[start : start + 500]))
            rows.extend(_domain(r) for r in session.scalars(chunk))
    rows.sort(key=lambda f: (f.catalog_path, f.fact, f.key, f.valid_from, _ORIGIN_RANK[f.origin]))
    return rows


@dataclass(frozen=True, slots=True)
class RegistryFacts:
    """The registry's facts holding at one instant (:meth:`Registry.facts_as_of`).

    Attributes:
        at: the instant, aware UTC.
        facts: the winning fact of each (catalog_path, fact, key) holding at ``at`` (see the
            module docstring), ordered by path, fact, key; facts whose value is None (an
            ``UNSET``) are left out.
        reviewed: catalog_path -> reviewed_at of the current assets (not dated).
    """

    at: datetime
    facts: tuple[RegistryFact, ...]
    reviewed: dict[str, datetime | None]

    def of(self, fact: str) -> dict[str, RegistryFact]:
        """Return catalog_path -> fact for one kind without a key (``masking_policy``, ...)."""
        return {f.catalog_path: f for f in self.facts if f.fact == fact and not f.key}

    def masking_policies(self) -> dict[str, str]:
        """Return catalog_path -> masking policy name, for every dataset or column masked at ``at``."""
        return {p: str(f.value) for p, f in self.of("masking_policy").items()
                if str(f.value).strip() and str(f.value).strip().upper() != "NONE"}

    def tags(self) -> dict[str, dict[str, str]]:
        """Return catalog_path -> {tag name: value} of the warehouse tags set at ``at``."""
        out: dict[str, dict[str, str]] = {}
        for f in self.facts:
            if f.fact == "tag":
                out.setdefault(f.catalog_path, {})[f.key] = str(f.value)
        return out

    def row_access_policies(self) -> dict[str, str]:
        """Return dataset id -> row access policy name, for datasets with one at ``at``."""
        return {p: str(f.value) for p, f in self.of("row_access_policy").items()}

    def assets(self) -> list[Asset]:
        """Return the classified assets as of ``at`` (a path with a classification), by path.

        The same shape as ``Registry.list_assets()``: the masking policy is the one holding
        at ``at`` from any origin; ``reviewed_at`` is the current asset's.
        """
        by_kind = {k: self.of(k) for k in ASSET_FACTS}
        out = []
        for path, cls in sorted(by_kind["classification"].items()):
            tags = by_kind["regulatory_tags"].get(path)
            steward = by_kind["steward"].get(path)
            policy = by_kind["masking_policy"].get(path)
            out.append(Asset(
                catalog_path=path,
                asset_type="column" if len(split_id(path)) == 4 else "dataset",
                classification=str(cls.value),
                regulatory_tags=tuple(tags.value) if tags is not None else (),
                steward=str(steward.value) if steward is not None else None,
                masking_policy=str(policy.value) if policy is not None else None,
                reviewed_at=self.reviewed.get(path),
            ))
        return out


def facts_as_of(session: Session, at: datetime) -> RegistryFacts:
    """Return the facts holding at ``at`` (see :class:`RegistryFacts`)."""
    query = select(FactRow).where(
        FactRow.valid_from <= at, or_(FactRow.valid_to.is_(None), and_(FactRow.valid_to > at))
    )
    winners: dict[tuple[str, str, str], FactRow] = {}
    for row in session.scalars(query):
        key = (row.catalog_path, row.fact, row.key)
        best = winners.get(key)
        if best is None or (row.valid_from, _ORIGIN_RANK[row.origin]) > (best.valid_from, _ORIGIN_RANK[best.origin]):
            winners[key] = row
    facts = tuple(_domain(winners[k]) for k in sorted(winners) if winners[k].value is not None)
    reviewed = {row.catalog_path: row.reviewed_at for row in session.scalars(select(AssetRow))}
    return RegistryFacts(at=at, facts=facts, reviewed=reviewed)


def reconcile(
    session: Session, origin: str, kinds: Sequence[str], current: dict[tuple[str, str, str], Any], at: datetime,
    now: datetime,
) -> int:
    """Make ``origin``'s open facts of ``kinds`` equal ``current`` from ``at`` on; return changes.

    ``current`` maps (catalog_path, fact, key) -> value as the warehouse shows it at ``at``:
    a new or changed assignment is stated from ``at``; an open one that is gone is ended by
    an "explicitly none" fact at ``at`` (the policy was unset or the object dropped).
    Idempotent: the same snapshot again changes nothing.
    """
    changed = 0
    for (path, fact, key), value in sorted(current.items()):
        changed += state_fact(session, RegistryFact(path, fact, value, at, origin=origin, key=key), now)
    query = select(FactRow).where(FactRow.origin == origin, FactRow.fact.in_(list(kinds)),
                                  FactRow.valid_to.is_(None), FactRow.value.is_not(None))
    gone = [(r.catalog_path, r.fact, r.key) for r in session.scalars(query)
            if (r.catalog_path, r.fact, r.key) not in current]
    for path, fact, key in sorted(gone):
        changed += state_fact(session, RegistryFact(path, fact, None, at, origin=origin, key=key), now)
    return changed
