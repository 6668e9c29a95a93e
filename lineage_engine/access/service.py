"""``lineage-engine access``: who read an origin's data, or what sensitive data a principal read (issue 14 §2).

I/O around the pure :mod:`.windows` and :mod:`.answer`: the graph (read-only; lineage
intervals and views) and the registry (read aggregates, classification facts). Nothing is
written.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from lineage_engine.access.answer import AccessRow, who_read
from lineage_engine.access.drift import (
    EXTERNAL_FUNCTION_PREFIX,
    DriftItem,
    arrivals,
    first_readers,
    has_new_arrival,
    known_subjects,
    upstreams_of,
)
from lineage_engine.access.windows import (
    Held,
    Holdings,
    column_holdings,
    micros,
    under_their_names,
)
from lineage_engine.errors import InputError, UnknownIdError
from lineage_engine.exposure.column_walk import build_column_index
from lineage_engine.exposure.origins import find_sensitive_origins, index_assets, split_origins
from lineage_engine.exposure.walk import build_edge_index
from lineage_engine.graph.known_ids import require_known_ids
from lineage_engine.graph.store import GraphStore
from lineage_engine.model import EdgeRow, dataset_of, join_id, split_id


def origin_kind(store: GraphStore, origin: str, registry: Any = None, at: datetime | None = None) -> tuple[str, str]:
    """Return ``(id, "dataset" | "column")`` of an origin the user typed.

    A column that no lineage edge touches (never copied) is still an origin when its dataset
    is in the graph and ``registry`` knows the column: a classified asset (as of ``at``) or
    one with stored reads (who read it directly is then the whole answer).

    Raises:
        UnknownIdError: neither a dataset nor a column of the graph; the closest ids of the
            kind the id looks like (four parts: a column) are suggested.
    """
    try:
        return require_known_ids(store, [origin], kind="dataset", input="--origin")[0], "dataset"
    except UnknownIdError as exc:
        if exc.other_kind == "column":
            return exc.ids[0], "column"
        parts = split_id(origin.strip().lower())
        if len(parts) < 4:
            raise
        try:
            return require_known_ids(store, [origin], kind="column", input="--origin")[0], "column"
        except UnknownIdError:
            column = join_id(parts)
            if registry is not None and _known_column(store, registry, column, at):
                return column, "column"
            raise


def _known_column(store: GraphStore, registry: Any, column: str, at: datetime | None) -> bool:
    """Return True when ``column``'s dataset is in the graph and the registry classifies or saw reads of it."""
    from lineage_engine.facts import registry_facts

    try:
        require_known_ids(store, [dataset_of(column)], kind="dataset", input="--origin")
    except UnknownIdError:
        return False
    if at is not None and any(getattr(a, "catalog_path", "").lower() == column for a in registry_facts(registry, at)):
        return True
    return bool(registry.list_reads(objects=[column]))


def holdings_for(store: GraphStore, origins: Sequence[tuple[str, str]], as_of: datetime,
                 lineage: Any = None, masking: Any = None) -> list[Holdings]:
    """Walk each ``(origin id, kind)`` as of ``as_of`` and return when every copy held its data.

    ``lineage``: the graph's intervals already read (:func:`lineage_engine.scan.load_lineage`
    with columns), else read here. ``masking`` (:class:`lineage_engine.scan.MaskingInputs` of the
    registry): a copy holds what the copying role saw, the scan's rule in the scan's code
    (:meth:`MaskingInputs.judge`): a copy out of a masked column made by a role the policy
    masks holds no value of the origin (``access``, ``drift``, ``egress``, shares and
    boundaries agree with ``scan``). None: every copy holds the value.
    """
    from lineage_engine.access.held_arrays import holdings_by_name
    from lineage_engine.scan import load_lineage
    from lineage_engine.walk_arrays import build_array_index, walk_origin_arrays

    if not origins:
        return []
    if lineage is None:
        lineage = load_lineage(store, columns=any(kind == "column" for _, kind in origins), edge_rows=True)
    if masking is not None and lineage.column_edges:
        lineage = replace(lineage, column_edges=tuple(masking.judge(lineage.column_edges, frozenset(lineage.views),
                                                                    as_of)))
    tables = columns = None
    walked: list[Holdings] = []
    states: list[Any] = []  # dataset origins: the walk's windows as arrays, named on arrays below
    for origin, kind in origins:
        if kind == "dataset":  # on arrays: the same windows as dataset_holdings (tests/test_walk_arrays.py)
            if not states:
                edges = lineage.walk_edges()
                arrays = build_array_index(edges, as_of=as_of, live=lineage.views)
            walk_origin_arrays(arrays, origin, states=states)
        else:
            if tables is None:
                tables = build_edge_index(lineage.edges, as_of=as_of, live=lineage.views)
            if columns is None:
                columns = build_column_index(lineage.edges, lineage.column_edges, as_of=as_of, live=lineage.views,
                                             tables=tables)
            walked.append(column_holdings(columns, origin))
    into = _intervals_into(lineage, as_of, _asked_into(walked)) if walked else {}
    named = iter(holdings_by_name(edges, states, as_of) if states else ())  # tests/access/test_held_arrays.py
    by_column = iter(walked)
    out: list[Holdings] = []
    for _, kind in origins:
        if kind == "dataset":
            out.append(next(named))
            continue
        holdings = next(by_column)
        first, spans = _from_holders(holdings, into)
        out.append(under_their_names(holdings, first, spans))
    return out


def _asked_into(walked: Sequence[Holdings]) -> set[str]:
    """Return the objects :func:`_from_holders` asks the intervals into: every held column and dataset,
    and the dataset of each held column."""
    asked: set[str] = set()
    for holdings in walked:
        asked.update(holdings.datasets)
        asked.update(holdings.columns)
        asked.update(dataset_of(c) for c in holdings.columns)
    return asked


def _intervals_into(lineage: Any, as_of: datetime, asked: set[str]) -> dict[str, list[tuple[str, float, float]]]:
    """Return object -> (upstream, interval start, end µs) of every interval into an ``asked`` object that
    began by ``as_of``, in the lineage's order (rows, then the compact dataset intervals): only the
    objects a walk reached, not the whole graph's intervals (issue 13 §6: bounded by the answer)."""
    into: dict[str, list[tuple[str, float, float]]] = {}
    for row in (*lineage.edges, *lineage.column_edges):
        if row.downstream in asked and row.valid_from <= as_of:
            end = micros(row.valid_to) if row.valid_to is not None else float("inf")
            into.setdefault(row.downstream, []).append((row.upstream, micros(row.valid_from), end))
    if not lineage.edges and lineage.walk is not None and asked:  # the dataset intervals read compactly
        import numpy as np

        from lineage_engine.walk_arrays import POS

        walk, until = lineage.walk, micros(as_of)
        ids = walk.ids
        wanted = np.zeros(len(ids), dtype=bool)
        index = {name: i for i, name in enumerate(ids)}
        wanted[[index[a] for a in asked if a in index]] = True
        keep = np.flatnonzero(wanted[walk.downstream] & (walk.valid_from <= until))
        for down, up, start, stop in zip(walk.downstream[keep].tolist(), walk.upstream[keep].tolist(),
                                         walk.valid_from[keep].tolist(), walk.valid_to[keep].tolist()):
            into.setdefault(ids[down], []).append((ids[up], start, float("inf") if stop >= POS else stop))
    return into


def _masking(registry: Any, masking: Any = None) -> Any:
    """Return the registry's masking policies with time (:class:`lineage_engine.scan.MaskingInputs`):
    a fork of ``masking`` (read once for a whole scan) when given, else read now."""
    from lineage_engine.scan import MaskingInputs

    return masking.fork() if masking is not None else MaskingInputs(registry)


def _from_holders(holdings: Holdings, into: dict[str, list[tuple[str, float, float]]],
                  ) -> tuple[dict[str, float], dict[str, list[tuple[float, float]]]]:
    """Return object -> start of the earliest interval into it from an object holding the origin's data
    (a held column or dataset, or the dataset of a held column): when that name first got the data;
    and object -> ``[start, end]`` of each such interval (a column's also those into its dataset)."""
    holders = {*holdings.columns, *holdings.datasets, *holdings.by_dataset}
    first: dict[str, float] = {}
    spans: dict[str, list[tuple[float, float]]] = {}
    for object_id in (*holdings.columns, *holdings.datasets):
        mine = [(start, end) for upstream, start, end in into.get(object_id, ()) if upstream in holders]
        if mine:
            first[object_id] = min(start for start, _ in mine)
            if object_id in holdings.columns:  # a dataset-level interval carries the column too
                mine += [(start, end) for upstream, start, end in into.get(dataset_of(object_id), ())
                         if upstream in holders]
            spans[object_id] = mine
    return first, spans


def sensitive_origins(assets: Sequence[Any], sensitive_tags: Sequence[str]) -> list[tuple[str, str]]:
    """Return the registry's sensitive origins as ``(id, kind)``, as the exposure scan picks them."""
    sensitive = find_sensitive_origins(list(assets), pii_tags=frozenset(sensitive_tags))
    tables, columns = split_origins(sensitive, index_assets(assets))
    return sorted([(o, "dataset") for o in tables] + [(o, "column") for o in columns])


def access_rows(store: GraphStore, registry: Any, *, origin: str | None, principal: str | None,
                since: datetime | None, until: datetime | None, now: datetime,
                sensitive_tags: Sequence[str]) -> list[AccessRow]:
    """Answer ``access --origin`` / ``--principal`` (see :mod:`.answer` for the rules).

    Args:
        origin: a dataset or column id; None with ``principal``: every sensitive origin of
            the registry (facts as of ``until`` or ``now``).
        principal: only this USER_NAME's reads (case-insensitive).
        since, until: read time bounds (aware UTC); the walk is as of ``until`` or ``now``.

    Raises:
        InputError: neither ``origin`` nor ``principal``, or ``since`` after ``until``.
        UnknownIdError: ``origin`` is not in the graph.
    """
    from lineage_engine.facts import registry_facts

    if origin is None and principal is None:
        raise InputError("--origin", "give --origin ID (who read its data) or --principal USER (what they read)")
    if since is not None and until is not None and since > until:
        raise InputError("--since", f"{since.isoformat()} is after --until {until.isoformat()}")
    as_of = until if until is not None and until < now else now
    if origin is not None:
        origins = [origin_kind(store, origin, registry, as_of)]
    else:
        origins = sensitive_origins(registry_facts(registry, as_of), sensitive_tags)
        origins = _present(store, origins)
    rows: list[AccessRow] = []
    mine = registry.list_reads(principal=principal, since=since, until=until) if principal is not None else None
    for holdings in holdings_for(store, origins, as_of, masking=_masking(registry)):
        if mine is not None:
            wanted = set(holdings.object_ids())
            reads = [r for r in mine if r.object_id in wanted]
        else:
            reads = registry.list_reads(objects=holdings.object_ids(), since=since, until=until)
        rows.extend(who_read(holdings, reads, since=since, until=until))
    return rows


def _present(store: GraphStore, origins: list[tuple[str, str]]) -> list[tuple[str, str]]:
    from lineage_engine.model import dataset_of
    from lineage_engine.scan import _PRESENT

    homes = sorted({dataset_of(o) if k == "column" else o for o, k in origins})
    found = {str(r["id"]) for r in store.run_trace(_PRESENT, {"ids": homes})} if homes else set()
    return [(o, k) for o, k in origins if (dataset_of(o) if k == "column" else o) in found]


def drift_items(store: GraphStore, registry: Any, *, now: datetime, sensitive_tags: Sequence[str],
                since: datetime | None = None, broad_members: int = 50,
                skip: Collection[tuple[str, str, str]] = frozenset(), ended_shares: bool = True,
                masking: Any = None) -> list[DriftItem]:
    """Return every first arrival of a sensitive origin's data (:mod:`.drift`), at or after ``since``.

    Origins are the registry's sensitive origins as the scan picks them (facts as of ``now``);
    sorted by time, then kind, origin and subject. ``skip``: keys (:attr:`DriftItem.key`) left
    out of the answer (those a check already recorded): their route, statement and runner are
    not looked up (a steady check's arrivals are all known; issue 13 §6). A share's arrival stays
    once the share stopped exporting (:func:`share_arrivals`); ``ended_shares=False``: only the
    shares exporting at ``now`` (:func:`share_rows`, what ``egress`` lists). ``masking``: the scan's
    :class:`~lineage_engine.scan.MaskingInputs` (forked here), else read from the registry.
    """
    from lineage_engine.facts import registry_facts
    from lineage_engine.scan import load_lineage

    origins = _present(store, sensitive_origins(registry_facts(registry, now), sensitive_tags))
    if not origins:
        return []
    # Dataset origins only: the walk's compact columns (no interval object); the intervals as
    # objects are read below only when an arrival must be explained (none in a steady check).
    lineage = load_lineage(store, columns=any(kind == "column" for _, kind in origins))
    walked = holdings_for(store, origins, now, lineage, masking=_masking(registry, masking))
    shared = any(f.grantee_kind == "SHARE" for f in registry.grant_history(("SHARE",))) if skip else False
    known = frozenset() if shared else skip  # share items name the statement of a known arrival: keep them all
    edges: dict[tuple[str, str], list[EdgeRow]] | None = None
    into: dict[str, list[str]] = {}
    items: list[DriftItem] = []
    subjects = known_subjects(known)
    for holdings, reads in zip(walked, _reads_by_origin(registry, walked), strict=True):
        if edges is None and has_new_arrival(holdings, subjects):
            edges = {}
            for row in (*(lineage.edges or store.iter_edges(None)), *lineage.column_edges):
                edges.setdefault((row.downstream, row.upstream), []).append(row)
            into = upstreams_of(edges)
        if edges is not None:
            items.extend(arrivals(holdings, edges, lambda _q: ("", ""), into, skip=known))
        items.extend(first_readers(who_read(holdings, reads)))
    brought = {(i.origin, i.subject): i.query_id for i in items if i.kind != "new_reader"}
    items.extend((share_arrivals if ended_shares else share_rows)(registry, walked, now=now,
                                                                   broad_members=broad_members, brought=brought))
    if skip:
        items = [i for i in items if i.key not in skip]
    asked = [i.query_id for i in items if i.kind != "new_reader" and i.query_id]
    runners = registry.who_ran(asked)
    missing = [q for q in asked if q not in runners]  # a RENAME, a GRANT: no read side recorded
    if missing:
        runners.update({q: (st.user_name or "", st.role_name or "") for q, st in registry.get_statements(missing).items()})
    items = [i if i.kind == "new_reader" else _run_by(i, runners.get(i.query_id, ("", ""))) for i in items]
    if since is not None:
        items = [i for i in items if i.at >= since]
    items.sort(key=lambda i: (i.at, i.kind, i.origin, i.subject))
    return items


def _run_by(item: DriftItem, runner: tuple[str, str]) -> DriftItem:
    """Return ``item`` with ``(user, role)`` of its statement (itself when they are already so)."""
    if (item.user, item.role) == runner:
        return item
    return DriftItem(item.kind, item.origin, item.subject, item.at, item.query_id, runner[0], runner[1], item.path)


def _reads_by_origin(registry: Any, walked: Sequence[Holdings]) -> Iterator[list[Any]]:
    """Yield, per holdings in order, the stored reads of its objects (``list_reads(objects=...)``, in its order).

    One read of the objects of every origin first (origins share most copies): an origin none of
    whose objects was read gets ``[]`` without a query of its own (issue 13 §6); the others are
    asked as before, so their reads come in the registry's order for that origin.
    """
    asked = [holdings.object_ids() for holdings in walked]
    everyone = sorted(set().union(*asked)) if asked else []
    read = {r.object_id for r in registry.list_reads(objects=everyone)} if everyone else set()
    for ids in asked:
        yield registry.list_reads(objects=ids) if not read.isdisjoint(ids) else []


def drift_payload(item: DriftItem) -> dict[str, Any]:
    """Return the outbox payload of a drift alert: what is new, the statement, who and when."""
    what = {"new_terminal": "sensitive data reached a new place", "new_egress": "sensitive data left the account",
            "new_reader": "a new principal read sensitive data"}[item.kind]
    return {"what": what, "kind": item.kind, "origin": item.origin, "new": item.subject,
            "path": " → ".join(item.path), "query_id": item.query_id or "(unknown)",
            "user": item.user or "(unknown)", "role": item.role or "(unknown)", "at": item.at.isoformat()}


DRIFT_LISTED = 8
"""New places, egress or readers a grouped drift alert names; the rest are counted."""


def drift_group_payload(items: Sequence[DriftItem]) -> dict[str, Any]:
    """Return the payload of one drift alert for many first arrivals of one kind and origin.

    ``what`` says how many; ``new`` names the first :data:`DRIFT_LISTED` (earliest first) and
    counts the rest; ``first_at`` / ``last_at`` bound them (ISO 8601 UTC); ``list_command``
    lists them all.
    """
    ordered = sorted(items, key=lambda i: (i.at, i.subject))
    count = f"{len(items):,}"
    what = {"new_terminal": f"sensitive data reached {count} new places",
            "new_egress": f"sensitive data left the account {count} new ways",
            "new_reader": f"{count} new principals read sensitive data"}[ordered[0].kind]
    listed = ", ".join(i.subject for i in ordered[:DRIFT_LISTED])
    more = len(items) - min(len(items), DRIFT_LISTED)
    return {"what": what, "kind": ordered[0].kind, "origin": ordered[0].origin, "grouped": len(items),
            "new": listed + (f" … and {more:,} more" if more else ""),
            "first_at": ordered[0].at.isoformat(), "last_at": ordered[-1].at.isoformat(),
            "list_command": f"lineage-engine drift --since {ordered[0].at.isoformat()}"}


def check_drift(store: GraphStore, registry: Any, *, now: datetime, sensitive_tags: Sequence[str],
                masking: Any = None, group_above: int = 0) -> tuple[int, bool]:
    """Queue a ``drift`` alert for every first arrival not seen by an earlier check.

    Returns ``(new items, baseline)``; the first check of a registry is a baseline (no alerts).
    ``masking``: the scan's masking inputs (:func:`drift_items`). More than ``group_above``
    arrivals of one kind and origin are one alert (:func:`drift_group_payload`; 0: never).
    """
    seen = registry.drift_seen()  # recorded already: neither new nor alerted again, so not explained again
    return registry.record_drift(drift_items(store, registry, now=now, sensitive_tags=sensitive_tags, skip=seen,
                                             masking=masking), now, drift_payload, group_above=group_above,
                                 group_payload=drift_group_payload)


def sync_grants(settings: Any, registry: Any, *, fetch: Any = None) -> int | None:
    """Read GRANTS_TO_ROLES and GRANTS_TO_USERS into the registry (``telemetry.sync_grants``).

    Returns the facts changed, or None when the read failed: a failure is a warning naming
    the account and the grant (never a secret); the registry keeps the facts of the last sync.
    """
    import logging

    from lineage_engine.errors import SourceError
    from lineage_engine.sources import snowflake_grants
    from lineage_engine.sources.snowflake_connection import SnowflakeConnectionConfig

    try:
        config = SnowflakeConnectionConfig.from_settings(settings.telemetry)
        facts = (fetch or snowflake_grants.fetch_grants)(config)
    except SourceError as exc:
        logging.getLogger(__name__).warning("grants not synced: %s", exc, extra={"event": "grant_sync_failed"})
        return None
    return registry.sync_grants(facts)


def can_read(registry: Any, object_id: str, *, at: datetime, broad_members: int) -> list[Any]:
    """Return who can read ``object_id`` at ``at`` (:func:`lineage_engine.access.readers.who_can_read`)."""
    from lineage_engine.access.readers import who_can_read

    return who_can_read(object_id, registry.grants_at(at), broad_members=broad_members)


def egress_rows(store: GraphStore, registry: Any, *, now: datetime, sensitive_tags: Sequence[str],
                broad_members: int = 50) -> list[dict[str, Any]]:
    """Return where sensitive data left the account (issue 14 §4), one row per origin and destination.

    * ``unload``: a stage, bucket or URL that holds an origin's data (``COPY INTO @stage`` /
      ``'s3://…'`` of a copy; the walk's holdings, as drift's ``new_egress``).
    * ``function``: an external function (``extfn:db.schema.name``) called on a column that
      held an origin's data at the call.
    * ``share``: an outbound share exporting a dataset that holds an origin's data now
      (:func:`share_rows`).
    """
    rows: list[dict[str, Any]] = []
    for item in drift_items(store, registry, now=now, sensitive_tags=sensitive_tags, broad_members=broad_members,
                            ended_shares=False):
        if item.kind == "new_egress":
            kind = ("share" if item.subject.startswith("share:") else
                    "replication" if item.subject.startswith("replication:") else
                    "function" if item.subject.startswith(EXTERNAL_FUNCTION_PREFIX) else "unload")
            rows.append({"origin": item.origin, "kind": kind, "destination": item.subject,
                         "held_in": item.path[-2] if kind in ("share", "replication") and len(item.path) > 1
                         else item.subject,
                         "path": item.path, "since": item.at, "query_id": item.query_id, "user": item.user,
                         "role": item.role})
    rows.sort(key=lambda r: (r["origin"], r["kind"], r["destination"]))
    return rows


def share_rows(registry: Any, holdings: Sequence[Holdings], *, now: datetime,
               broad_members: int = 50, brought: Mapping[tuple[str, str], str] | None = None,
               facts: Sequence[Any] | None = None, shares: Any = None) -> list[DriftItem]:
    """Return the outbound shares exporting an origin's data now, as ``new_egress`` items.

    A share exports a dataset while a grant of ``SELECT`` (or ``OWNERSHIP`` / ``ALL``) on it,
    its schema or database to the share is in force (grant facts of the query history or
    ``telemetry.sync_grants``; :func:`lineage_engine.access.readers.who_can_read`) **and**
    the share has a consumer account (``ALTER SHARE … ADD | SET ACCOUNTS``; a share never
    created or altered in the history counts as having some:
    :meth:`~lineage_engine.registry.shares.ShareFacts.exporting`). The item's time is
    when the last of these began (the grant, or the last grant of the chain through a database
    role; the first account; the data's arrival in the dataset, its earliest still-holding
    column); its statement is that grant's, or the ``ALTER SHARE`` that added the first
    account when that came later, or the statement that brought the data into the dataset
    (``brought``: (origin, object id) -> query id, from :func:`.drift.arrivals`) when the
    data came last. A dataset shares the data at ``now`` when it holds it then (its window
    contains ``now``). ``facts`` / ``shares``: the grant facts and share facts holding at ``now``
    when already read (else read here).
    """
    from lineage_engine.access.readers import who_can_read
    from lineage_engine.access.replication import destination_of

    facts = registry.grants_at(now) if facts is None else facts
    if not any(f.grantee_kind == "SHARE" for f in facts):
        return []
    shares = registry.share_facts(now) if shares is None else shares
    t = micros(now)
    out: list[DriftItem] = []
    for holding in holdings:
        held: dict[str, list[Held]] = {}  # dataset -> what of it holds the data now (columns, or itself)
        for h in (*holding.columns.values(), *holding.datasets.values()):
            if h.holds_at(t):  # one that does not hold the data (yet, any more, or in a gap) shares nothing of it
                held.setdefault(h.object_id if h.object_id in holding.datasets else dataset_of(h.object_id), []).append(h)
        seen: set[str] = set()
        for dataset, windows in sorted(held.items()):
            window = min(windows, key=lambda h: (h.arrive, len(h.path), h.path))  # the earliest arrival
            for reader in who_can_read(dataset, facts, broad_members=broad_members):
                if reader.kind != "share" or reader.name in seen or not shares.exporting(reader.name):
                    continue
                seen.add(reader.name)
                subject = destination_of(reader.name) or f"share:{reader.name}"
                at, query = (reader.since, reader.query_id) if reader.since is not None else (now, "")
                first_account = shares.first_account.get(reader.name)
                if first_account is not None and first_account[0] > at:
                    at, query = first_account
                arrived = _instant_of(window.arrive)
                if arrived is not None and arrived > at:
                    at, query = arrived, (brought or {}).get((holding.origin, window.object_id), "")
                out.append(DriftItem("new_egress", holding.origin, subject, at, query, "", "",
                                     (*window.path, subject)))
    return out


SHARE_GRANTEES = ("SHARE", "DATABASE ROLE")
"""Grantee kinds of the grants a share reads through (directly, or a database role granted to it)."""


def share_arrivals(registry: Any, holdings: Sequence[Holdings], *, now: datetime, broad_members: int = 50,
                   brought: Mapping[tuple[str, str], str] | None = None) -> list[DriftItem]:
    """Return the first arrival of each (origin, share) by ``now``, also of an export that has ended since.

    A share exported an origin's data during every stretch of time in which :func:`share_rows`
    finds it (grant in force, a consumer account, a dataset holding the data). Each stretch ends
    now, or at a change that can end it: a grant to a share or a database role ending, a
    consumer account removed, a shared dataset losing the data. :func:`share_rows` is asked at
    ``now`` and just before each such end (1 µs before a grant or an account ended; at a
    holding's last instant), which meets every stretch; the earliest start per (origin, share)
    is the arrival (the consumer could read the data from then on: revoking later does not undo
    it). Without any grant to a share in the history, nothing is asked.
    """
    from datetime import timedelta

    from lineage_engine.access.readers import who_can_read

    history = registry.grant_history(SHARE_GRANTEES)
    if not any(f.grantee_kind == "SHARE" and f.valid_from <= now for f in history):
        return []
    t = micros(now)
    tick = timedelta(microseconds=1)
    instants = {now}
    instants.update(f.valid_to - tick for f in history if f.valid_to is not None and f.valid_to <= now)
    instants.update(end - tick for end in registry.share_account_ends() if end <= now)
    ever = [f for f in history if f.valid_from <= now]  # every grant a share read through: who could ever share
    shared: dict[str, bool] = {}
    for holding in holdings:
        for h in (*holding.columns.values(), *holding.datasets.values()):
            if math.isinf(h.leave) or h.leave > t:
                continue
            dataset = h.object_id if h.object_id in holding.datasets else dataset_of(h.object_id)
            if dataset not in shared:
                shared[dataset] = any(r.kind == "share" for r in who_can_read(dataset, ever, broad_members=broad_members))
            if shared[dataset]:
                instants.add(_instant_of(h.leave) or now)
    first: dict[tuple[str, str], DriftItem] = {}
    for at in sorted(instants):
        facts = [f for f in history if f.valid_from <= at and (f.valid_to is None or f.valid_to > at)]
        if not any(f.grantee_kind == "SHARE" for f in facts):  # grants to roles and users share nothing
            continue
        for item in share_rows(registry, holdings, now=at, broad_members=broad_members, brought=brought,
                               facts=facts, shares=registry.share_facts(at)):
            key = (item.origin, item.subject)
            if key not in first or item.at < first[key].at:
                first[key] = item
    return list(first.values())


def _instant_of(micros_value: float) -> datetime | None:
    import math
    from datetime import timedelta, timezone

    if math.isinf(micros_value):
        return None
    return datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(microseconds=int(micros_value))


def _facts(registry: Any, at: datetime) -> list[Any]:
    from lineage_engine.facts import registry_facts

    return registry_facts(registry, at)


def boundary_crossings(store: GraphStore, registry: Any, *, now: datetime, sensitive_tags: Sequence[str],
                       rules: Sequence[Any], broad_members: int = 50, walked: Any = None) -> list[Any]:
    """Return every crossing of ``compliance.boundaries`` now (:mod:`.boundaries`), by rule, origin, destination.

    ``walked``: ``(assets, origins, holdings, share items)`` as of ``now`` already computed by the
    caller (the scan's :func:`lineage_engine.access.findings.extra_paths`: one walk for shares and
    boundaries), else computed here.
    """
    from lineage_engine.access.boundaries import crossings
    from lineage_engine.exposure.origins import index_assets

    if not rules:
        return []
    if walked is not None:
        assets, origins, held, items = walked
    else:
        assets = _facts(registry, now)
        origins = _present(store, sensitive_origins(assets, sensitive_tags))
        held = holdings_for(store, origins, now, masking=_masking(registry))
        items = share_rows(registry, held, now=now, broad_members=broad_members)
    by_path = index_assets(assets)
    walked = held
    shares: dict[str, list[tuple[str, str, tuple[str, ...]]]] = {}
    for item in items:
        shares.setdefault(item.origin, []).append((item.subject, item.subject, item.path))
    t = micros(now)
    out: list[Any] = []
    for (origin, kind), holdings in zip(origins, walked, strict=True):
        home = dataset_of(origin) if kind == "column" else origin
        held = [(h.object_id, dataset_of(h.object_id) if h.object_id in holdings.columns else h.object_id, h.path)
                for h in (*holdings.columns.values(), *holdings.datasets.values()) if h.leave >= t]
        out.extend(crossings(rules, origin, home, by_path, [*held, *shares.get(origin, [])]))
    out.sort(key=lambda c: (c.rule, c.origin, c.destination))
    return out


def grant_adjuster(registry: Any, *, broad_members: int) -> Any:
    """Return the scan's ``adjust`` hook (issue 14 §3): each open path's note lists who can read its
    terminal, and a terminal readable by ``PUBLIC`` or a broad role raises the severity one level.

    Without any grant fact at the scan's instant other than OWNERSHIP (the creating roles' own,
    known from every CREATE) the paths are left as they are: who else can read is not known.
    """
    from dataclasses import replace as _replace

    from lineage_engine.access.readers import who_can_read
    from lineage_engine.exposure.severity import SEVERITIES, severity_rank

    def adjust(paths: list[Any], now: datetime) -> list[Any]:
        facts = registry.grants_at(now)
        if not any(f.privilege != "OWNERSHIP" for f in facts):
            return paths
        out = []
        for path in paths:
            terminal = dataset_of(path.terminal) if path.level == "column" else path.terminal
            readers = who_can_read(terminal, facts, broad_members=broad_members)
            if not readers:
                out.append(path)
                continue
            note = readable_by(readers)
            severity = path.severity
            broad = [r for r in readers if r.broad and r.kind == "role"]
            if broad:
                severity = SEVERITIES[min(severity_rank(severity) + 1, len(SEVERITIES) - 1)]
                note += f"; severity raised one level: readable by {', '.join(r.name for r in broad)}"
            out.append(_replace(path, severity=severity, note="; ".join(n for n in (path.note, note) if n)))
        return out

    return adjust


def readable_by(readers: Sequence[Any]) -> str:
    """Return "readable by roles A, B; users x; shares S" for a finding's note."""
    parts = []
    for kind, label in (("role", "roles"), ("user", "users"), ("share", "shares")):
        names = [r.name for r in readers if r.kind == kind]
        if names:
            parts.append(f"{label} {', '.join(names)}")
    return "readable by " + "; ".join(parts) if parts else ""
