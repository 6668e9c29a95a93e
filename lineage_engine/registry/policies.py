"""Masking policy bodies and copies out of masked columns, in the registry (issue 10 §3).

Session-level helpers for :class:`~lineage_engine.registry.repository.Registry`. A body's
timeline per policy name: a ``CREATE OR REPLACE`` / ``SET BODY`` at T closes the body that
held at T and opens the new one; ``DROP MASKING POLICY`` at T closes it. Writes are
idempotent (a replayed statement changes nothing).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import ColumnElement, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from lineage_engine.model import ColumnRead, MaskingPolicyBody, RegistryFact, dataset_of, is_part_of, join_id, split_id
from lineage_engine.registry.tables import ColumnReadRow, FactRow, MaskingPolicyRow, ObjectChangeRow


INVOKER_MARK = "(INVOKER_ROLE)"
"""Stored among a body's ``clear_roles`` when the body tests the invoker (``MaskingPolicyBody.by_invoker``).

Kept in the JSON list rather than a column of its own so that no migration was needed (review s12,
while migration 0015 was taken); no role is named so (parentheses need a quoted identifier), and
:func:`list_bodies` takes it out again."""


def state_body(session: Session, body: MaskingPolicyBody) -> bool:
    """Put ``body`` (valid from ``body.valid_from``) into its policy's timeline; True when it changed.

    A body ``if_absent`` (``CREATE MASKING POLICY IF NOT EXISTS``) is ignored where a body of the
    name holds at its instant: Snowflake leaves the existing policy, signature and body, as it is."""
    name = body.name.strip().lower()
    rows = list(session.scalars(select(MaskingPolicyRow).where(MaskingPolicyRow.name == name)))
    same = next((r for r in rows if r.valid_from == body.valid_from), None)
    if same is not None:  # stated before; a re-crawl fills a signature type stored before migration 0016,
        # or states it again as the statement reads now (a TIMESTAMP once taken as TIMESTAMP_NTZ: review s14 R8)
        if body.data_type is not None and same.data_type != body.data_type:
            same.data_type = body.data_type
            return True
        return False
    prev = max((r for r in rows if r.valid_from < body.valid_from), key=lambda r: r.valid_from, default=None)
    holding = prev is not None and (prev.valid_to is None or prev.valid_to > body.valid_from)
    if body.if_absent and holding:  # CREATE … IF NOT EXISTS on a policy that exists: a no-op (review s15 T2)
        return False
    nxt = min((r for r in rows if r.valid_from > body.valid_from), key=lambda r: r.valid_from, default=None)
    ends = [nxt.valid_from] if nxt is not None else []
    if prev is not None and holding:
        if prev.valid_to is not None:
            ends.append(prev.valid_to)
        prev.valid_to = body.valid_from
    roles = sorted(body.clear_roles) + ([INVOKER_MARK] if body.by_invoker else [])
    session.add(MaskingPolicyRow(name=name, understood=body.understood, clear_roles=roles,
                                 valid_from=body.valid_from, valid_to=min(ends) if ends else None,
                                 query_id=body.query_id, data_type=body.data_type))
    session.flush()
    return True


def drop_policy(session: Session, name: str, at: datetime) -> bool:
    """Close the body of ``name`` holding at ``at``; True when one did.

    ``name`` is qualified (``db.gov.m``, review s12); a body stored before under the bare name
    (``m``) holding then is closed too: the policy it described may be this one, and a body
    not known counts as showing clear values (over-report, never under).
    """
    name = name.strip().lower()
    names = sorted({name, name.rsplit(".", 1)[-1]})
    query = select(MaskingPolicyRow).where(MaskingPolicyRow.name.in_(names), MaskingPolicyRow.valid_from < at)
    closed = False
    for row in session.scalars(query):
        if row.valid_to is None or row.valid_to > at:
            row.valid_to = at
            closed = True
    return closed


def list_bodies(session: Session) -> list[MaskingPolicyBody]:
    """Return every body interval, by name then valid_from."""
    query = select(MaskingPolicyRow).order_by(MaskingPolicyRow.name, MaskingPolicyRow.valid_from)
    return [MaskingPolicyBody(r.name, r.understood, tuple(x for x in r.clear_roles if x != INVOKER_MARK),
                              r.valid_from, r.valid_to, r.query_id, INVOKER_MARK in r.clear_roles, r.data_type)
            for r in session.scalars(query)]


def add_reads(session: Session, reads: Sequence[ColumnRead]) -> int:
    """Insert copies not stored yet (keyed by downstream, upstream, query_id); return how many were new.

    One multi-row ``INSERT … ON CONFLICT DO NOTHING`` per 500 rows (a crawl batch may record
    thousands).
    """
    table = ColumnReadRow.__table__
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    unique: dict[tuple[str, str, str], dict[str, object]] = {}
    for r in reads:  # the first of a repeated key wins, as the stored one does
        unique.setdefault((r.downstream, r.upstream, r.query_id), {
            "downstream": r.downstream, "upstream": r.upstream, "at": r.at, "query_id": r.query_id,
            "role_name": r.role_name})
    rows = list(unique.values())
    added = 0
    for start in range(0, len(rows), 500):
        statement = (dialect.insert(table).values(rows[start : start + 500])
                     .on_conflict_do_nothing(index_elements=["downstream", "upstream", "query_id"])
                     .returning(table.c.id))
        added += len(session.execute(statement).all())
    return added


def list_reads(session: Session, upstreams: Iterable[str] | None = None) -> list[ColumnRead]:
    """Return stored copies (all, or out of some upstream columns), by upstream, downstream, time."""
    query = select(ColumnReadRow)
    rows: list[ColumnReadRow] = []
    if upstreams is None:
        rows = list(session.scalars(query))
    else:
        wanted = sorted(set(upstreams))
        for start in range(0, len(wanted), 500):
            rows.extend(session.scalars(query.where(ColumnReadRow.upstream.in_(wanted[start : start + 500]))))
    rows.sort(key=lambda r: (r.upstream, r.downstream, r.at, r.query_id))
    return [ColumnRead(r.downstream, r.upstream, r.at, r.query_id, r.role_name) for r in rows]


def has_warehouse_facts(session: Session) -> bool:
    """Return True when some fact that :func:`end_recreated` may end exists (a set value not from
    the classification file), in any timeline: without one, a replaced dataset ends nothing."""
    query = select(FactRow.id).where(FactRow.origin != "import", FactRow.value.is_not(None)).limit(1)
    return session.scalar(query) is not None


def fact_holders(session: Session, since: datetime) -> set[str]:
    """Return every prefix (container, dataset, column id) of the paths holding a warehouse fact
    (a set value not from the classification file) at some instant after ``since``: what
    :func:`end_recreated` may end. One read per flush instead of one per replaced dataset."""
    query = select(FactRow.catalog_path).where(
        FactRow.origin != "import", FactRow.value.is_not(None),
        (FactRow.valid_to.is_(None)) | (FactRow.valid_to > since)).distinct()
    return fact_holders_of(*session.scalars(query))


def fact_holders_of(*ids: str) -> set[str]:
    """Return ``ids`` and their prefixes (containers, dataset), as :func:`fact_holders` (a move's
    sides: what it may have given facts). Test with :func:`holds_facts`."""
    out: set[str] = set(ids)
    for object_id in ids:
        out.update(_prefixes(object_id))
    return out


def _prefixes(object_id: str) -> list[str]:
    """Return the ids of ``object_id``'s leading parts, shortest first, itself last (``a.b.c`` -> ``a``,
    ``a.b``, ``a.b.c``): ``join_id(split_id(object_id)[:k])`` for every k, by slicing when no part is
    quoted (a bare part holds no dot: a crawl's flush takes every fact holder's prefixes, issue 13)."""
    if '"' in object_id:
        parts = split_id(object_id)
        return [join_id(parts[:k]) for k in range(1, len(parts) + 1)]
    out = []
    end = object_id.find(".")
    while end != -1:
        out.append(object_id[:end])
        end = object_id.find(".", end + 1)
    out.append(object_id)
    return out


def holds_facts(holders: set[str], object_id: str) -> bool:
    """Return True when ``object_id`` (a dataset or container) is among ``holders`` (:func:`fact_holders`)."""
    return object_id in holders or join_id(split_id(object_id)) in holders


class FactMove(NamedTuple):
    """A statement that moves or copies an object's warehouse facts with the object, as Snowflake does.

    ``mode``: ``rename`` (``ALTER … RENAME TO``, or ``RENAME COLUMN`` when the ids are columns:
    the facts of ``source`` now hold on ``target``), ``swap`` (``SWAP WITH``: the two sides exchange them), ``clone`` (``CLONE``:
    ``target`` gets a copy, ``source`` keeps them) or ``undrop`` (``UNDROP``: ``source`` is
    ``target``, and the facts its drop at ``dropped_at`` ended hold again; without ``dropped_at``
    nothing is restored). ``container``: the ids are a schema or a
    database, and the facts of every dataset and column inside move. ``at``: the statement's
    end time (UTC); ``query_id`` is stated on the moved facts.
    """

    source: str
    target: str
    at: datetime
    mode: str
    query_id: str | None = None
    container: bool = False
    dropped_at: datetime | None = None


def _at_or_under(session: Session, object_id: str) -> ColumnElement[bool]:
    """Return the condition "``catalog_path`` is ``object_id`` or starts with ``object_id.``" (its
    columns, or what a container holds; callers then keep the rows :func:`is_part_of` keeps).

    SQLite compares text bytewise (BINARY collation) and its ``LIKE`` ignores ASCII case, so a
    ``LIKE`` scans the whole table at every call (issue 13: a crawl ends the facts of each replaced
    dataset, and the table grows with the history); the range ``[id., id/)`` ('/' follows '.') holds
    exactly the ids starting with ``id.`` and is read from the index on ``catalog_path``. Every caller
    keeps only case-sensitive prefixes, so the rows kept are the same. PostgreSQL orders text by
    the database's collation, where such a range is not a prefix: there the ``LIKE`` stays."""
    if session.get_bind().dialect.name == "sqlite":
        return (FactRow.catalog_path == object_id) | (
            (FactRow.catalog_path >= object_id + ".") & (FactRow.catalog_path < object_id + "/"))
    pattern = object_id.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + ".%"
    return (FactRow.catalog_path == object_id) | FactRow.catalog_path.like(pattern, escape="\\")


def _holding(session: Session, object_id: str, at: datetime, container: bool) -> list[FactRow]:
    """Return the warehouse facts (set values not from the classification file) holding just before
    ``at`` and still at ``at`` on ``object_id`` and on what it holds (:func:`~lineage_engine.model.is_part_of`). A fact stated
    at ``at`` itself is what a move at ``at`` made: applying the move again changes nothing."""
    query = select(FactRow).where(
        _at_or_under(session, object_id), FactRow.origin != "import", FactRow.value.is_not(None), FactRow.valid_from < at,
        (FactRow.valid_to.is_(None)) | (FactRow.valid_to > at))
    return [r for r in session.scalars(query) if is_part_of(r.catalog_path, object_id, container)]


def move_facts(session: Session, move: FactMove, now: datetime) -> int:
    """Apply ``move`` to the warehouse facts holding at ``move.at`` (see :class:`FactMove`).

    A policy or tag is attached to the object, not to its name: a renamed or swapped table
    keeps its policies under its new name, and the name it left holds none of them (a clear
    copy swapped into the name of a masked one is exposed). Facts from the classification
    file describe names and stay. Returns how many timelines changed.
    """
    from lineage_engine.registry.facts import state_fact

    def restate(rows: list[tuple[str, str, str, str, str]], old: str, new: str) -> int:
        return sum(state_fact(session, RegistryFact(new + path[len(old):], fact, value, move.at, origin=origin,
                                                    key=key, query_id=move.query_id), now)
                   for path, fact, key, origin, value in rows)

    def end(rows: list[tuple[str, str, str, str, str]]) -> int:
        return sum(state_fact(session, RegistryFact(path, fact, None, move.at, origin=origin, key=key,
                                                    query_id=move.query_id), now)
                   for path, fact, key, origin, _ in rows)

    # read as values first: ending a fact stated at this very instant rewrites its row
    if move.mode == "undrop":
        return _restore(session, move, now)
    source = [(r.catalog_path, r.fact, r.key, r.origin, r.value)
              for r in _holding(session, move.source, move.at, move.container)]
    target = [(r.catalog_path, r.fact, r.key, r.origin, r.value)
              for r in _holding(session, move.target, move.at, move.container)]
    if move.mode == "clone":
        return end(target) + restate(source, move.source, move.target)
    changed = end(source) + end(target)
    changed += restate(source, move.source, move.target)
    if move.mode == "swap":
        changed += restate(target, move.target, move.source)
    return changed


def _restore(session: Session, move: FactMove, now: datetime) -> int:
    """``UNDROP``: restate from ``move.at`` the warehouse facts that the drop of ``move.target`` at
    ``move.dropped_at`` ended (Snowflake brings a table back with its policies and tags; a table
    replaced before its drop comes back as the replacement, whose facts had ended before the
    drop, so they stay ended). Returns how many timelines changed."""
    from lineage_engine.registry.facts import state_fact

    obj = move.target
    if move.dropped_at is None:
        return 0  # the drop undone is not known (another crawl): the facts stay ended (over-report)
    ended = select(FactRow).where(
        _at_or_under(session, obj), FactRow.origin != "import", FactRow.value.is_(None), FactRow.query_id.is_(None),  # ended by end_recreated
        FactRow.valid_from == move.dropped_at, (FactRow.valid_to.is_(None)) | (FactRow.valid_to > move.at))
    restated = []
    for row in session.scalars(ended):
        if not is_part_of(row.catalog_path, obj, move.container):
            continue
        before = session.scalars(select(FactRow).where(
            FactRow.catalog_path == row.catalog_path, FactRow.fact == row.fact, FactRow.key == row.key,
            FactRow.origin == row.origin, FactRow.valid_to == row.valid_from, FactRow.value.is_not(None))).first()
        if before is not None:
            restated.append(RegistryFact(row.catalog_path, row.fact, before.value, move.at, origin=row.origin,
                                         key=row.key, query_id=move.query_id))
    return sum(state_fact(session, fact, now) for fact in restated)


def end_recreated(session: Session, dataset_id: str, at: datetime, now: datetime) -> int:
    """End the warehouse facts of ``dataset_id`` and its columns at ``at`` (it was replaced or dropped).

    Snowflake drops a table's policies and tags with the table: ``CREATE OR REPLACE`` makes a
    new object without them. Facts from the classification file are declarations and stay.
    Returns how many timelines changed.
    """
    from lineage_engine.registry.facts import state_facts

    query = select(FactRow).where(
        _at_or_under(session, dataset_id), FactRow.origin != "import", FactRow.value.is_not(None), FactRow.valid_from < at,
        (FactRow.valid_to.is_(None)) | (FactRow.valid_to > at))
    rows = [r for r in session.scalars(query) if r.catalog_path == dataset_id or dataset_of(r.catalog_path) == dataset_id]
    # one read of the rows' timelines, not three per row (a replaced table ends a type fact per column)
    return state_facts(session, [RegistryFact(r.catalog_path, r.fact, None, at, origin=r.origin, key=r.key,
                                              query_id=None) for r in rows], now) if rows else 0


def masked_paths(session: Session) -> set[str]:
    """Return every catalog_path that has (or had) a masking policy fact, any origin."""
    query = select(FactRow.catalog_path).where(FactRow.fact == "masking_policy", FactRow.value.is_not(None))
    return set(session.scalars(query.distinct()))


def tag_carriers(session: Session) -> tuple[dict[str, set[str]], set[str]]:
    """Return (tag name -> paths that carry or carried it, names of tags that have or had a
    masking policy); tag names by their last part (:func:`~lineage_engine.exposure.masking.tag_name`):
    a superset, to record copies by; which tag masks what is decided by
    :func:`~lineage_engine.exposure.masking.same_tag`."""
    from lineage_engine.exposure.masking import tag_name

    masking = {tag_name(p) for p in session.scalars(select(FactRow.catalog_path).where(
        FactRow.fact == "tag_masking_policy", FactRow.value.is_not(None)).distinct())}
    carriers: dict[str, set[str]] = {}
    for path, key in session.execute(select(FactRow.catalog_path, FactRow.key).where(
            FactRow.fact == "tag", FactRow.value.is_not(None)).distinct()):
        carriers.setdefault(tag_name(key), set()).add(path)
    return carriers, masking


def record_changes(session: Session, recreated: Sequence[tuple[str, datetime]], drops: Iterable[tuple[str, datetime]],
                   moved: Sequence[FactMove]) -> None:
    """Store the replaces, drops and moves of a flush in ``object_changes`` (a replayed one is stored once)."""
    table = ObjectChangeRow.__table__
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    dropped = set(drops)
    rows = {(d, "", "drop" if (d, at) in dropped else "recreate", at): {
        "source": d, "target": "", "mode": "drop" if (d, at) in dropped else "recreate", "container": False,
        "at": at, "query_id": ""} for d, at in recreated}
    for move in moved:
        if len(split_id(move.source)) > 3:
            # a RENAME COLUMN (its facts moved by move_facts) is not kept: object_changes are the moves of
            # datasets and containers that classified assets follow (carried_assets); a policy of the column
            # read late stays on the old name (the new name counts as clear: over-report)
            continue
        target = "" if move.mode == "undrop" else move.target
        rows[(move.source, target, move.mode, move.at)] = {
            "source": move.source, "target": target, "mode": move.mode, "container": move.container,
            "at": move.at, "query_id": move.query_id or ""}
    if rows:  # executemany: one compiled statement, not a VALUES list compiled anew per flush
        session.execute(dialect.insert(table).on_conflict_do_nothing(index_elements=["source", "target", "mode", "at"]),
                        list(rows.values()))


def recreate_times(session: Session) -> dict[str, tuple[datetime, ...]]:
    """Return dataset id -> the instants (oldest first) a recorded ``CREATE [OR REPLACE]``, CTAS or
    ``CREATE VIEW`` (re)created it (``object_changes`` of mode ``recreate``)."""
    out: dict[str, list[datetime]] = {}
    query = select(ObjectChangeRow.source, ObjectChangeRow.at).where(ObjectChangeRow.mode == "recreate")
    for source, at in session.execute(query):
        out.setdefault(source, []).append(at)
    return {source: tuple(sorted(times)) for source, times in out.items()}


def moves(session: Session) -> list[tuple[str, str, datetime, bool]]:
    """Return the recorded ``RENAME`` and ``SWAP`` of datasets and containers as ``(source, target, at,
    container)``, a ``SWAP`` both ways (``object_changes`` of mode ``rename`` or ``swap``)."""
    query = select(ObjectChangeRow.source, ObjectChangeRow.target, ObjectChangeRow.at, ObjectChangeRow.mode,
                   ObjectChangeRow.container).where(ObjectChangeRow.mode.in_(("rename", "swap")))
    out: list[tuple[str, str, datetime, bool]] = []
    for source, target, at, mode, container in session.execute(query):
        out.append((source, target, at, bool(container)))
        if mode == "swap":
            out.append((target, source, at, bool(container)))
    return out


def last_drop(session: Session, object_id: str, before: datetime) -> datetime | None:
    """Return the time of the latest recorded ``DROP`` of ``object_id`` before ``before`` (UNDROP), else None."""
    query = select(ObjectChangeRow.at).where(ObjectChangeRow.source == object_id, ObjectChangeRow.mode == "drop",
                                             ObjectChangeRow.at < before).order_by(ObjectChangeRow.at.desc())
    return session.scalars(query.limit(1)).first()


def _changes_after(session: Session, path: str, since: datetime,
                   read: dict[tuple[str, datetime], list[ObjectChangeRow]] | None = None) -> list[ObjectChangeRow]:
    """Return the recorded changes after ``since`` of ``path``'s object or of what holds it.

    ``read``: the changes already read for a dataset and instant (the columns of one table
    stated by one statement share one read: ``object_changes`` holds datasets and containers,
    and the ``DROP COLUMN`` of a column, so one read takes those of every column of the table)."""
    key, prefixes = _change_key(path, since)
    rows = read.get(key) if read is not None else None
    if rows is None:
        named = ObjectChangeRow.source.in_(prefixes) | ObjectChangeRow.target.in_(prefixes)
        if key[0] != path:
            named = named | ObjectChangeRow.source.like(_escaped(key[0]) + ".%", escape="\\")
        query = select(ObjectChangeRow).where(named, ObjectChangeRow.at > since)
        rows = list(session.scalars(query))
        if read is not None:
            read[key] = rows
    return [r for r in rows
            if is_part_of(path, r.source, r.container) or (r.target and is_part_of(path, r.target, r.container))]


def _escaped(object_id: str) -> str:
    """Return ``object_id`` with the LIKE wildcards escaped (escape character ``\\``)."""
    return object_id.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _change_key(path: str, since: datetime) -> tuple[tuple[str, datetime], list[str]]:
    """Return the key under which :func:`_changes_after` keeps the changes of ``path`` after ``since``
    (its dataset, or itself when it is one or a container) and the ids a change of it may name (a
    column's own id: a ``DROP COLUMN`` is recorded under it)."""
    prefixes = _prefixes(path)
    key = (prefixes[2] if len(prefixes) > 3 else path, since)
    return key, sorted(set(prefixes[:3]) | {path})


def _read_changes(session: Session, paths: Sequence[tuple[str, datetime]],
                  ) -> dict[tuple[str, datetime], list[ObjectChangeRow]]:
    """Return the changes of every ``(path, since)`` as :func:`_changes_after` reads them, by its key, in
    one read per 500 ids instead of one per dataset and instant (a batch states thousands of column
    types: issue 13). Each key's rows are in id order."""
    wanted: dict[tuple[str, datetime], set[str]] = {}
    for path, since in paths:
        key, prefixes = _change_key(path, since)
        wanted.setdefault(key, set()).update(prefixes)  # the columns sharing a key: each its own DROP COLUMN
    if not wanted:
        return {}
    ids = sorted({p for prefixes in wanted.values() for p in prefixes})
    earliest = min(since for _, since in wanted)
    rows: dict[int, ObjectChangeRow] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        query = select(ObjectChangeRow).where(
            ObjectChangeRow.source.in_(chunk) | ObjectChangeRow.target.in_(chunk), ObjectChangeRow.at > earliest)
        rows.update((r.id, r) for r in session.scalars(query))
    by_id: dict[str, list[ObjectChangeRow]] = {}
    for row in sorted(rows.values(), key=lambda r: r.id):
        by_id.setdefault(row.source, []).append(row)
        if row.target and row.target != row.source:
            by_id.setdefault(row.target, []).append(row)
    read: dict[tuple[str, datetime], list[ObjectChangeRow]] = {}
    for (path, since), prefixes in wanted.items():
        mine = {r.id: r for p in prefixes for r in by_id.get(p, ()) if r.at > since}
        read[(path, since)] = [mine[i] for i in sorted(mine)]
    return read


def follow_late_facts(session: Session, facts: Sequence[RegistryFact], now: datetime) -> int:
    """Apply to ``facts`` (just stated) the recorded changes of their objects after them, in time order.

    A masking policy or tag read late (after a later ``RENAME``/``SWAP``/``CLONE``, replace or
    ``DROP`` of its table was recorded, in this flush or an earlier crawl) is where the statements
    in ``END_TIME`` order leave it: it moves to the new name (and on across that one's later
    changes), is copied to a clone, ends at a replace or ``DROP`` and comes back with an
    ``UNDROP``. Applying a change again changes nothing, so every change found is applied once
    more in order. Returns how many timelines changed.
    """
    found: dict[int, ObjectChangeRow] = {}
    pending = [(f.catalog_path.strip().lower(), f.valid_from) for f in facts if f.origin != "import"]
    seen: set[tuple[str, datetime]] = set()
    read = _read_changes(session, pending)
    while pending:
        path, since = pending.pop()
        if (path, since) in seen:
            continue
        seen.add((path, since))
        for row in _changes_after(session, path, since, read):
            found[row.id] = row
            sides = [(row.source, row.target)] if row.mode in ("rename", "clone") else \
                [(row.source, row.target), (row.target, row.source)] if row.mode == "swap" else []
            for old, new in sides:
                if is_part_of(path, old, row.container):
                    pending.append((new + path[len(old):], row.at))
    changed = 0
    for row in sorted(found.values(), key=lambda r: (r.at, 0 if r.mode in ("recreate", "drop") else 1, r.id)):
        if row.mode in ("recreate", "drop"):
            changed += end_recreated(session, row.source, row.at, now)
            continue
        move = FactMove(row.source, row.target or row.source, row.at, row.mode, row.query_id or None, row.container)
        if row.mode == "undrop":
            move = move._replace(dropped_at=last_drop(session, row.source, row.at))
        changed += move_facts(session, move, now)
    return changed
