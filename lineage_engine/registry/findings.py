"""The findings ledger and its alerts (design §7), inside one caller-owned transaction.

One finding per (origin, terminal): opened when first seen, resolved when its path is
absent from a scan, reopened when it comes back. An ``unmasked_pii`` alert is written to
the outbox, in the same transaction as the ledger change, when a finding opens (or
reopens), when its severity rises above the severity last alerted, and when it has been
open without an alert for ``realert_after``. A crash therefore neither loses an alert
(the ledger change rolls back with it) nor repeats one (both commit together).

Triage (issue 10 §7): an *accepted* finding (``accept``) stays open and is kept up to date
but is not alerted, not even on escalation, until its ``accepted_until`` passes; the first
scan after that reopens it and alerts (``reopened``). ``reopen`` ends an acceptance by hand
and alerts. Every state change, and every alert queued, is also an event in the hash-chained
log (:mod:`lineage_engine.registry.events`), in the same transaction.
"""

from __future__ import annotations

import hashlib
import json
import shlex
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from functools import partial
from typing import Any, TypeVar, overload

from sqlalchemy import JSON, insert, or_, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from lineage_engine.errors import InputError
from lineage_engine.model import ExposurePath, Finding
from lineage_engine.registry.events import append_events
from lineage_engine.registry.records import ScanOutcome, finding_from_row, last_seen_column, latest_scan_at
from lineage_engine.registry.bulk_rows import JSONText, PlainInsert
from lineage_engine.registry.tables import AlertOutboxRow, FindingEventRow, FindingRow, FindingScanRow, UTCDateTime

SEVERITY_ORDER: tuple[str, ...] = ("LOW", "MEDIUM", "HIGH", "CRITICAL")
"""Severities, least to most severe."""

ALERT_KIND = "unmasked_pii"
_SCAN_LOCK_KEY = 0x4C494E45  # PostgreSQL advisory lock: one scan at a time ("LINE")
_OUTCOME_FIELDS = ("opened", "escalated", "realerted", "resolved", "still_open", "windows", "reopened")
SCAN_ACTOR = "lineage-engine scan"
"""``actor`` of the events a scan writes."""


def severity_rank(severity: str) -> int:
    """Return the position of ``severity`` in :data:`SEVERITY_ORDER` (case-insensitive).

    Raises:
        ValueError: not a known severity.
    """
    try:
        return SEVERITY_ORDER.index(severity.upper())
    except ValueError:
        raise ValueError(
            f"unknown severity '{severity}'; use one of {', '.join(SEVERITY_ORDER)} "
            "(compliance.risk_thresholds)"
        ) from None


Key = tuple[str, str, str, str]
"""A finding's identity: (kind, rule, origin, terminal) (:attr:`ExposurePath.key`)."""


def _choose(paths: Sequence[ExposurePath]) -> dict[Key, ExposurePath]:
    """Keep one path per (kind, rule, origin, terminal): most severe, then fewest hops, then lowest path."""
    chosen: dict[Key, ExposurePath] = {}
    for path in paths:
        if path.closed:
            continue
        key = path.key
        best = chosen.get(key)
        rank = (-severity_rank(path.severity), path.hops, path.path)
        if best is None or rank < (-severity_rank(best.severity), best.hops, best.path):
            chosen[key] = path
    return chosen


def alert_payload(row: FindingRow, path: ExposurePath, event: str, previous: str | None) -> dict[str, Any]:
    """Return the JSON-able outbox payload for one finding event.

    ``event`` is ``opened`` | ``escalated`` | ``realert`` | ``reopened``; ``previous_severity``
    is the severity last alerted (escalations only). ``edges`` lists the path's hops
    origin first (each with its transform and statement) and ``opened_by`` the statement that
    put the data into the terminal (query id, type, user, role, time); see
    :mod:`lineage_engine.exposure.explain`. Times are ISO 8601 UTC strings. An egress or
    boundary finding (issue 14) adds ``finding_kind`` and ``rule`` (the boundary rule's name).
    """
    return {
        "event": event,
        "finding_id": row.id,
        "origin": row.origin,
        "terminal": row.terminal,
        "path": list(row.path),
        "hops": path.hops,
        "regulatory_tags": list(row.regulatory_tags),
        "classification": path.classification,
        "severity": row.severity,
        "previous_severity": previous,
        "level": row.level,
        "exposure": path.exposure,
        "steward": row.steward,
        "status": row.status,
        "opened_at": row.opened_at.isoformat(),
        "last_seen_at": row.last_seen_at.isoformat(),
        "edges": list((row.explanation or {}).get("hops") or []),
        "opened_by": (row.explanation or {}).get("opened_by"),
        **({"finding_kind": row.kind, "rule": row.rule or None} if (row.kind or "exposure") != "exposure" else {}),
    }


GROUP_LISTED = 8
"""Findings a grouped alert lists (the highest severity first); the rest are counted."""


def group_alert_payload(members: Sequence[tuple[FindingRow, ExposurePath, str | None]], event: str,
                        now: datetime) -> dict[str, Any]:
    """Return the outbox payload of one alert standing for many finding events of one origin.

    A first scan of a real account opens a finding per place each sensitive column reaches,
    hundreds for one origin: one Slack message each floods the channel and, at
    ``alert_budget_seconds`` per scan, takes days to deliver. ``members`` are the findings
    (one kind and boundary rule, one origin, one ``event``) with their paths and previous severities; the
    ledger keeps each finding and an ``alerted`` event each (with this alert's dedupe key).

    The payload has ``grouped`` (how many), ``event``, ``origin``, ``severity`` (the highest),
    ``regulatory_tags`` (the union), ``steward``, ``classification``, ``opened_at`` (``now``,
    ISO 8601 UTC), ``findings`` (the first :data:`GROUP_LISTED` by severity, then terminal:
    ``finding_id``, ``terminal``, ``severity``, ``level``, ``exposure``, ``hops``), ``levels``
    (findings per level) and ``list_command`` (the command listing the origin's open findings,
    of every kind, shell-quoted); an egress or boundary group adds ``finding_kind`` and ``rule``.
    """
    ranked = sorted(members, key=lambda m: (-severity_rank(m[0].severity), m[0].terminal))
    first = ranked[0][0]
    levels: dict[str, int] = {}
    tags: set[str] = set()
    for row, _path, _previous in members:
        levels[row.level] = levels.get(row.level, 0) + 1
        tags.update(row.regulatory_tags or ())
    stewards = sorted({row.steward for row, _p, _s in members if row.steward})
    rules = {row.rule for row, _p, _s in members}
    kind = first.kind or "exposure"
    return {
        "event": event,
        "grouped": len(members),
        "origin": first.origin,
        "severity": first.severity,
        "regulatory_tags": sorted(tags),
        "classification": ranked[0][1].classification,
        "steward": stewards[0] if len(stewards) == 1 else (", ".join(stewards) or None),
        "opened_at": now.isoformat(),
        "levels": dict(sorted(levels.items())),
        "findings": [{"finding_id": row.id, "terminal": row.terminal, "severity": row.severity, "level": row.level,
                      "exposure": path.exposure, "hops": path.hops} for row, path, _s in ranked[:GROUP_LISTED]],
        "list_command": f"lineage-engine findings --origin {shlex.quote(first.origin)} --status open",
        **({"finding_kind": kind, "rule": next(iter(rules)) or None} if kind != "exposure" else {}),
    }


def _outbox_entries(alerts: Sequence[tuple[Any, ExposurePath, str, str | None]], now: datetime, group_above: int,
                    ) -> list[tuple[str, Callable[[], dict[str, Any]], list[tuple[Any, str]]]]:
    """Return ``(dedupe key, payload builder, [(finding row, event)])`` per outbox alert of a scan.

    ``alerts`` are ``(row, path, event, previous severity)`` in the scan's order. Alerts of one
    finding kind (and boundary rule), origin and event are grouped when there are more than ``group_above`` of them
    (``group_above`` 0: never); the entries keep the order of each one's first alert.
    """
    stamp = now.isoformat()
    entries: list[tuple[str, Callable[[], dict[str, Any]], list[tuple[Any, str]]]] = []
    # a boundary rule is the policy broken: its crossings are grouped apart
    for run in runs_in_order(alerts, lambda a: (a[0].kind or "exposure", a[0].rule or "", a[0].origin, a[2]),
                             group_above):
        row, path, event, previous = run[0]
        if len(run) == 1:
            entries.append((f"{ALERT_KIND}:{row.id}:{event}:{stamp}", partial(alert_payload, row, path, event, previous),
                            [(row, event)]))
            continue
        name = group_key_name(row.kind or "exposure", row.rule or "", row.origin)
        entries.append((f"{ALERT_KIND}:group:{name}:{event}:{stamp}",
                        partial(group_alert_payload, [(r, p, s) for r, p, _e, s in run], event, now),
                        [(r, event) for r, _p, _e, _s in run]))
    return entries


T = TypeVar("T")


def runs_in_order(items: Sequence[T], key: Callable[[T], Hashable], above: int) -> list[list[T]]:
    """Return ``items`` in order, each alone, except the items of a key that has more than
    ``above`` of them (``above`` 0: none): those are one list, where the key's first item stood.
    Used to group outbox alerts (findings and drift; ``monitoring.alert_group_above``)."""
    groups: dict[Hashable, list[T]] = {}
    for item in items:
        groups.setdefault(key(item), []).append(item)
    runs: list[list[T]] = []
    placed: set[Hashable] = set()
    for item in items:
        k = key(item)
        if not above or len(groups[k]) <= above:
            runs.append([item])
        elif k not in placed:
            placed.add(k)
            runs.append(groups[k])
    return runs


def group_key_name(*parts: str) -> str:
    """Return the non-empty ``parts`` joined with ``:`` for a grouped alert's dedupe key, or their
    SHA-256 when longer than 300 characters (the key's column holds 512)."""
    name = ":".join(part for part in parts if part)
    return name if len(name) <= 300 else hashlib.sha256(name.encode()).hexdigest()


def insert_alert(session: Session, kind: str, dedupe_key: str, payload: dict[str, Any], at: datetime) -> bool:
    """Add an outbox alert unless ``dedupe_key`` exists; return True when added."""
    table = AlertOutboxRow.__table__
    values = {"kind": kind, "dedupe_key": dedupe_key, "payload": payload, "created_at": at, "attempts": 0}
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(table)
        .values(values)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(table.c.id)  # rowcount is -1 under psycopg's implicit RETURNING
    )
    return session.execute(statement).scalar_one_or_none() is not None


_ALERT_CHUNK = 5_000
"""Outbox alerts per statement in :func:`insert_alerts` (and dedupe keys per ``IN``)."""


def present_alert_keys(session: Session, keys: Sequence[str]) -> set[str]:
    """Return which of ``keys`` the outbox holds (read :data:`_ALERT_CHUNK` keys per ``IN``)."""
    column = AlertOutboxRow.__table__.c.dedupe_key
    present: set[str] = set()
    for start in range(0, len(keys), _ALERT_CHUNK):
        present.update(session.scalars(select(column).where(column.in_(keys[start:start + _ALERT_CHUNK]))))
    return present


def insert_alerts(session: Session, kind: str, alerts: Sequence[tuple[str, dict[str, Any] | Callable[[], dict[str, Any]]]],
                  at: datetime) -> set[str]:
    """Add outbox alerts ``(dedupe_key, payload)`` whose key does not exist yet; return the keys added.

    The same as :func:`insert_alert` for each, in order (a key repeated in ``alerts`` is added
    once), in a few statements: the keys already there are read, the rest inserted many at a
    time. Inside the scan's transaction (the scan lock on PostgreSQL, SQLite's single writer),
    so no other writer adds a key in between. A payload may be given as a function returning it:
    it is built when its chunk is inserted (a first scan's 800,000 payloads are never all held).
    """
    table = AlertOutboxRow.__table__
    present = present_alert_keys(session, [key for key, _ in alerts])
    added: set[str] = set()
    rows = []
    for key, payload in alerts:
        if key in present or key in added:
            continue
        added.add(key)
        rows.append({"kind": kind, "dedupe_key": key, "payload": payload() if callable(payload) else payload,
                     "created_at": at, "attempts": 0})
        if len(rows) == _ALERT_CHUNK:
            session.execute(table.insert(), rows)
            rows = []
    if rows:
        session.execute(table.insert(), rows)
    return added


def _apply(row: FindingRow, path: ExposurePath, now: datetime, explanation: dict[str, Any] | None,
           digest: str | None = None) -> None:
    """Store ``path``'s fields (and ``explanation`` unless None) on ``row``; ``digest``: theirs
    (:func:`finding_digest`), kept only when every digested field was stored."""
    values: dict[str, Any] = {
        "severity": path.severity.upper(), "last_seen_at": now, "path": list(path.path),
        "regulatory_tags": list(path.regulatory_tags), "level": path.level, "steward": path.steward,
        "exposure": path.exposure, "note": path.note or None, "unmasked_from": None, "unmasked_to": None,
        "digest": digest if explanation is not None else None,
    }
    if explanation is not None:
        values["explanation"] = explanation
    if row.id is None:  # new: every field set
        for name, value in values.items():
            setattr(row, name, value)
        return
    for name, value in values.items():  # a finding seen again: only what changed (most scans: last_seen_at)
        if getattr(row, name) != value:
            setattr(row, name, value)


class FindingDigests:
    """:func:`finding_digest` for one scan: dicts shared between explanations (hops) digested once.

    Keeps a digest per dict id: the explanations must stay alive (unchanged) while it is used.
    """

    __slots__ = ("_memo", "_keys", "text")

    def __init__(self) -> None:
        self._memo: dict[int, bytes] = {}
        self._keys: dict[tuple[str, ...], list[tuple[str, bytes]]] = {}  # keys in order, encoded, by dict shape
        self.text = JSONText()  # the explanations' JSON text as stored (new findings), shared hops encoded once

    def __call__(self, path: ExposurePath, explanation: Mapping[str, Any] | None) -> str:
        """Return the digest of what :func:`_apply` stores for ``path`` and ``explanation`` (32 hex)."""
        fields = [path.severity.upper(), path.path, path.regulatory_tags, path.level, path.steward,  # tuples: as lists
                  path.exposure, path.note or None]
        h = _blake2b(_FIELDS_JSON(fields).encode(), digest_size=16)
        h.update(self._value(explanation, top=True))
        return h.hexdigest()

    def _value(self, value: Any, top: bool = False) -> bytes:
        kind = type(value)
        if kind is dict:
            done = None if top else self._memo.get(id(value))
            if done is None:
                h = _blake2b(b"{", digest_size=16)
                update, memo = h.update, self._memo
                names = tuple(value)
                order = self._keys.get(names)  # dicts of one shape (hops) sort their keys once
                if order is None:
                    order = [(key, json.dumps(str(key)).encode()) for key in sorted(value, key=str)]
                    if all(type(key) is str for key in names):
                        self._keys[names] = order
                for key, encoded in order:
                    update(encoded)
                    item = value[key]
                    kind = type(item)
                    if kind is str:  # _value's own bytes, without a call per value (most values)
                        update(b"=" + _encode_str(item).encode() + b";")
                    elif item is None:
                        update(b"=null;")
                    elif kind is dict:  # a shared dict: one lookup
                        shared = memo.get(id(item))
                        update(shared if shared is not None else self._value(item))
                    else:
                        update(self._value(item))
                done = h.digest()
                if not top:
                    memo[id(value)] = done
            return done
        if kind is list or kind is tuple:
            h = _blake2b(b"[", digest_size=16)
            update, memo = h.update, self._memo
            for item in value:
                kind = type(item)
                if kind is dict:
                    shared = memo.get(id(item))
                    update(shared if shared is not None else self._value(item))
                elif kind is str:
                    update(b"=" + _encode_str(item).encode() + b";")
                else:
                    update(self._value(item))
            return h.digest()
        if kind is str:  # what json.dumps(value) writes, without its call overhead (most values)
            return b"=" + _encode_str(value).encode() + b";"
        if value is None:
            return b"=null;"
        return b"=" + json.dumps(value, default=str).encode() + b";"


_blake2b = hashlib.blake2b
_encode_str = json.encoder.encode_basestring_ascii  # json.dumps's own encoder of a str (ensure_ascii)
_FIELDS_JSON = json.JSONEncoder(default=str).encode  # json.dumps(value, default=str), the encoder made once


def finding_digest(path: ExposurePath, explanation: Mapping[str, Any] | None) -> str:
    """Return a digest (32 hex) of what a scan stores on a finding for ``path`` and ``explanation``.

    Severity, path, regulatory tags, level, steward, exposure, note and the explanation (its
    JSON value: key order and list-or-tuple do not matter). Equal digests: the same values.
    """
    return FindingDigests()(path, explanation)


def _record_windows(
    session: Session, paths: Sequence[ExposurePath], rows: dict[Key, FindingRow],
    chosen: dict[Key, ExposurePath], now: datetime, outcome: dict[str, list[FindingRow]],
    explain: Mapping[tuple[str, str], dict[str, Any]], events: list[tuple[FindingRow, dict[str, Any]]],
) -> None:
    """Record closed windows (issue 10 §2): the terminal was masked after the data reached it.

    A finding that is open is resolved now; one not yet in the ledger is added already
    resolved; a resolved one takes the window. Windows are not alerted: no exposure is live.
    Each change is an event (a new one ``opened`` then ``resolved``; the ``resolved`` event
    carries ``unmasked_from``/``unmasked_to``). Idempotent: the same window again changes nothing.
    """
    windows: dict[Key, ExposurePath] = {}
    for path in paths:
        key = path.key
        if not path.closed or key in chosen:
            continue
        best = windows.get(key)
        if best is None or (path.hops, path.path) < (best.hops, best.path):
            windows[key] = path
    for key in sorted(windows):
        path, row = windows[key], rows.get(key)
        if row is not None and row.status == "resolved" and (row.unmasked_from, row.unmasked_to) == (
                path.unmasked_from, path.unmasked_to):
            continue
        opened = row is None
        if row is None:
            row = FindingRow(kind=key[0], rule=key[1], origin=key[2], terminal=key[3], status="resolved",
                             opened_at=now, resolved_at=now)
            row.last_alerted_at = row.last_alerted_severity = None
            session.add(row)
            rows[key] = row
        elif row.status == "open":
            row.status, row.resolved_at = "resolved", now
            outcome["resolved"].append(row)
        _clear_acceptance(row)
        _apply(row, path, now, explain.get((path.origin, path.terminal)))
        row.unmasked_from, row.unmasked_to = path.unmasked_from, path.unmasked_to
        row.digest = None  # a window: compared field by field (resolved; rare)
        outcome["windows"].append(row)
        if opened:
            events.append(_event(row, "opened", now, SCAN_ACTOR, severity=row.severity, level=row.level,
                                 exposure=row.exposure, path=list(reversed(row.path)), again=False))
        events.append(_event(row, "resolved", now, SCAN_ACTOR, "masked after the data arrived",
                             severity=row.severity, unmasked_from=_iso(row.unmasked_from),
                             unmasked_to=_iso(row.unmasked_to)))


def _kind_details(row: FindingRow) -> dict[str, str]:
    """Return the kind (and boundary rule) an ``opened`` event records; none for an exposure finding."""
    if (row.kind or "exposure") == "exposure":
        return {}
    return {"kind": row.kind, **({"rule": row.rule} if row.rule else {})}


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None


def _clear_acceptance(row: FindingRow) -> None:
    row.accepted_at = row.accepted_until = row.accepted_by = row.accepted_reason = None


def _event(row: FindingRow, event: str, at: datetime, actor: str, reason: str | None = None,
           **details: Any) -> tuple[FindingRow, dict[str, Any]]:
    return row, {"event": event, "at": at, "actor": actor, "reason": reason, "details": details}


def _flush_events(session: Session, pending: list[tuple[FindingRow, dict[str, Any]]]) -> None:
    session.flush()  # new findings get their ids
    append_events(session, ({**event, "finding_id": row.id} for row, event in pending))  # streamed, chunk by chunk


def record_scan(
    session: Session,
    paths: Sequence[ExposurePath],
    now: datetime,
    realert_after: timedelta | None,
    explanations: Mapping[tuple[str, str], dict[str, Any]] | None = None,
    group_above: int = 0,
) -> ScanOutcome:
    """Fold one complete exposure scan into the ledger, the outbox and the event log.

    A re-alert is due when ``now - last_alerted_at >= realert_after``; None disables
    re-alerts. Several paths for one (origin, terminal) count once (see ``_choose``).
    ``explanations`` (by (origin, terminal)) are stored on the findings and sent in alerts.
    More than ``group_above`` alerts of one kind of finding, origin and event in this scan
    become one grouped alert (0: one alert per finding); see :func:`group_alert_payload`.

    Raises:
        ValueError: ``now`` is naive, or a path has an unknown severity.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("record_scan needs a timezone-aware UTC 'now'")
    explain = explanations or {}
    chosen = _choose(paths)
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SCAN_LOCK_KEY})
    previous = latest_scan(session)  # every open finding's last sighting (None: each row's own)
    origins = sorted({*(key[2] for key in chosen), *(p.origin for p in paths if p.closed)})
    digest = FindingDigests()
    digests = _LazyDigests(chosen, explain, digest)  # a new finding's is made with its JSON text, when inserted
    windowed = {p.key for p in paths if p.closed and p.key not in chosen}
    # The ledger's rows of these origins (and every open one) as plain columns, no ORM objects:
    # a finding seen again unchanged (same digest, open, not accepted, no alert due) is not
    # written at all (its last_seen_at is this scan's, recorded below); the others are loaded
    # and handled field by field.
    steady: dict[Key, Any] = {}
    loaded: list[int] = []
    table = FindingRow.__table__
    special = or_(*(table.c[name].is_not(None) for name in _SPECIAL_COLUMNS)).label("special")
    for r in session.execute(select(*(table.c[name] for name in _LIGHT_COLUMNS), special)
                             .where(or_(table.c.status == "open", table.c.origin.in_(origins)))):
        key = (r.kind or "exposure", r.rule or "", r.origin, r.terminal)
        if key in chosen:
            if _unchanged(r, digests[key], now, realert_after):
                steady[key] = r
            else:
                loaded.append(r.id)
        elif r.status == "open" or key in windowed:  # resolved now, or takes a window
            loaded.append(r.id)
    rows: dict[Key, FindingRow] = {}
    for start in range(0, len(loaded), _LOAD_CHUNK):
        for row in session.scalars(select(FindingRow).where(FindingRow.id.in_(loaded[start:start + _LOAD_CHUNK]))):
            rows[(row.kind or "exposure", row.rule or "", row.origin, row.terminal)] = row

    outcome: dict[str, list[FindingRow]] = {name: [] for name in _OUTCOME_FIELDS}
    alerts: list[tuple[FindingRow, ExposurePath, str, str | None]] = []
    events: list[tuple[FindingRow, dict[str, Any]]] = []
    still_open: list[Finding | tuple[Any, ExposurePath, dict[str, Any] | None]] = []
    new: list[_NewFinding] = []
    for position, key in enumerate(sorted(chosen)):
        if position and not position % _LOAD_CHUNK and (new or events):  # memory bounded by a chunk's events
            _insert_findings(session, new, digest)  # in key order: ids as one insert of all
            _flush_events(session, events)  # in the order of one flush of all
            new, events = [], []
        path = chosen[key]
        light = steady.get(key)
        if light is not None:  # unchanged: nothing written (last seen by this scan); its Finding built when read
            still_open.append((light, path, explain.get((path.origin, path.terminal))))
            continue
        row = rows.get(key)
        if row is None:  # new: inserted many at a time below (no ORM object), alerted, so last alerted now
            row = _new_finding(key, path, now, explain.get((path.origin, path.terminal)))
            new.append(row)
            outcome["opened"].append(row)  # type: ignore[arg-type]  # read as a FindingRow
            events.append(_event(row, "opened", now, SCAN_ACTOR, severity=row.severity, level=row.level,
                                 exposure=row.exposure, path=list(reversed(row.path)), again=False,
                                 **_kind_details(row)))  # type: ignore[arg-type]
            alerts.append((row, path, "opened", None))  # type: ignore[arg-type]
            continue
        if row.status == "resolved":
            again = True
            row.status, row.opened_at, row.resolved_at = "open", now, None
            row.last_alerted_at = row.last_alerted_severity = None
            _clear_acceptance(row)
            _apply(row, path, now, explain.get((path.origin, path.terminal)), digests[key])
            outcome["opened"].append(row)
            events.append(_event(row, "opened", now, SCAN_ACTOR, severity=row.severity, level=row.level,
                                 exposure=row.exposure, path=list(reversed(row.path)), again=again,
                                 **_kind_details(row)))
            alerts.append((row, path, "opened", None))
            continue
        alerted = row.last_alerted_severity or row.severity  # before the update below
        before = row.severity
        _apply(row, path, now, explain.get((path.origin, path.terminal)), digests[key])
        outcome["still_open"].append(row)
        still_open.append(row)  # type: ignore[arg-type]  # a FindingRow: converted at the end
        rose = severity_rank(row.severity) > severity_rank(before)
        if row.accepted_at is not None:
            if row.accepted_until is not None and now >= row.accepted_until:
                events.append(_event(row, "reopened", now, SCAN_ACTOR,
                                     f"acceptance expired ({row.accepted_until.isoformat()})",
                                     severity=row.severity))
                _clear_acceptance(row)
                outcome["reopened"].append(row)
                alerts.append((row, path, "reopened", None))
            elif rose:  # recorded, not alerted while accepted
                events.append(_event(row, "escalated", now, SCAN_ACTOR, severity=row.severity, previous=before,
                                     alerted=False))
            continue
        if rose:
            events.append(_event(row, "escalated", now, SCAN_ACTOR, severity=row.severity, previous=before))
        if severity_rank(row.severity) > severity_rank(alerted):
            outcome["escalated"].append(row)
            alerts.append((row, path, "escalated", alerted))
        elif realert_after is not None and (
            row.last_alerted_at is None or now - row.last_alerted_at >= realert_after
        ):
            outcome["realerted"].append(row)
            alerts.append((row, path, "realert", None))
    _insert_findings(session, new, digest)  # before the windows' new rows: ids in the same order as one ORM flush
    _record_windows(session, paths, rows, chosen, now, outcome, explain, events)
    for key in sorted(rows):
        row = rows[key]
        if row.status == "open" and key not in chosen:
            row.status, row.resolved_at = "resolved", now
            if previous is not None:  # last seen by the scan before this one: stored, as it no longer follows the scans
                row.last_seen_at = previous
            _clear_acceptance(row)
            outcome["resolved"].append(row)
            events.append(_event(row, "resolved", now, SCAN_ACTOR, severity=row.severity))

    session.flush()  # assigns ids to new findings
    queued = _outbox_entries(alerts, now, group_above)
    added = insert_alerts(session, ALERT_KIND, [(dedupe, payload) for dedupe, payload, _members in queued], now)
    for dedupe, _payload, members in queued:
        for row, event in members:
            if dedupe in added:
                grouped = {"grouped": len(members)} if len(members) > 1 else {}
                events.append(_event(row, "alerted", now, SCAN_ACTOR, alert=event, dedupe_key=dedupe,
                                     severity=row.severity, **grouped))
                if len(events) >= _LOAD_CHUNK:
                    _flush_events(session, events)
                    events = []
            row.last_alerted_at, row.last_alerted_severity = now, row.severity
    _flush_events(session, events)
    session.execute(insert(FindingScanRow.__table__).values(scanned_at=now))  # every open finding's last sighting
    converted = {id(r): finding_from_row(r) for r in outcome["still_open"]}
    fields: dict[str, Any] = {name: [finding_from_row(r) for r in rows_] for name, rows_ in outcome.items()
                              if name not in ("still_open", "opened")}
    fields["opened"] = LazyFindings([r if isinstance(r, _NewFinding) else finding_from_row(r)  # ORM rows expire
                                     for r in outcome["opened"]], now)
    return ScanOutcome(**fields, still_open=LazyFindings(  # type: ignore[arg-type]
        [converted[id(item)] if isinstance(item, FindingRow) else item for item in still_open], now))


class _NewFinding:
    """A finding a scan opens for the first time: the values of its ``findings`` row, without an ORM object.

    Read like a :class:`FindingRow` (events, alert payloads, :func:`finding_from_row`); its
    ``id`` is set when :func:`_insert_findings` has inserted it.
    """

    __slots__ = (*(c.name for c in FindingRow.__table__.columns), "chosen")

    def values(self, digests: FindingDigests) -> dict[str, Any]:
        """Return the row's column values (``id`` left to the database), JSON columns as text (the
        explanation by ``digests.text``); set ``digest`` (None without an explanation, as :func:`_apply`)."""
        out = {name: getattr(self, name) for name in _COLUMN_NAMES if name != "id"}
        stored, digest = digests.text(self.explanation), digests(self.chosen, self.explanation)
        out["path"], out["regulatory_tags"] = _dumps(self.path), _dumps(self.regulatory_tags)
        out["explanation"] = stored if self.explanation is not None else None  # none_as_null
        self.digest = out["digest"] = digest if self.explanation is not None else None
        return out


def _new_finding(key: Key, path: ExposurePath, now: datetime, explanation: dict[str, Any] | None) -> _NewFinding:
    """Return the row a new finding gets: what ``_apply`` stores, open since ``now``, alerted ``now``
    (its ``digest`` set when inserted: :meth:`_NewFinding.values`)."""
    row = _NewFinding()
    row.id = None
    row.kind, row.rule, row.origin, row.terminal = key
    row.status, row.opened_at, row.resolved_at = "open", now, None
    row.severity, row.last_seen_at, row.path = path.severity.upper(), now, tuple(path.path)  # the path's own tuples
    row.regulatory_tags, row.level, row.steward = tuple(path.regulatory_tags), path.level, path.steward
    row.exposure, row.note, row.unmasked_from, row.unmasked_to = path.exposure, path.note or None, None, None
    row.explanation = explanation
    row.digest = None
    row.chosen = path
    row.last_alerted_at, row.last_alerted_severity = now, row.severity  # its "opened" alert is queued with it
    row.accepted_at = row.accepted_until = row.accepted_by = row.accepted_reason = None
    return row


def _insert_findings(session: Session, rows: Sequence[_NewFinding], digests: FindingDigests) -> None:
    """Insert new findings many at a time, in order, and set their ids (ascending, as inserted) and digests.

    Prepared values (:class:`~lineage_engine.registry.bulk_rows.PlainInsert`): the JSON columns
    as text, the explanations encoded by ``digests`` (their shared hops once).
    """
    if not rows:
        return
    insert_rows = PlainInsert(session, FindingRow.__table__, [n for n in _COLUMN_NAMES if n != "id"],
                              json_columns=_JSON_COLUMNS, time_columns=_TIME_COLUMNS, returning="id")
    for start in range(0, len(rows), _LOAD_CHUNK):
        chunk = rows[start:start + _LOAD_CHUNK]
        ids = insert_rows.execute(session, [r.values(digests) for r in chunk])
        for row, finding_id in zip(chunk, ids, strict=True):
            row.id = finding_id


class _LazyDigests:
    """The digest of each chosen path with its explanation (:class:`FindingDigests`), made when asked."""

    __slots__ = ("_chosen", "_explain", "_digest")

    def __init__(self, chosen: Mapping[Key, ExposurePath], explain: Mapping[tuple[str, str], dict[str, Any]],
                 digest: FindingDigests) -> None:
        self._chosen, self._explain, self._digest = chosen, explain, digest

    def __getitem__(self, key: Key) -> str:
        path = self._chosen[key]  # not kept: asked once per seen finding (twice when it changed)
        return self._digest(path, self._explain.get((path.origin, path.terminal)))


_COLUMN_NAMES = tuple(c.name for c in FindingRow.__table__.columns)
_JSON_COLUMNS = frozenset(c.name for c in FindingRow.__table__.columns if isinstance(c.type, JSON))
_TIME_COLUMNS = frozenset(c.name for c in FindingRow.__table__.columns if isinstance(c.type, UTCDateTime))
_dumps = json.dumps  # the text SQLAlchemy's JSON type stores


_LIGHT_COLUMNS = ("id", "kind", "rule", "origin", "terminal", "status", "digest", "opened_at", "last_alerted_at",
                  "last_alerted_severity", "severity")
"""The ``findings`` columns a scan reads to tell an unchanged finding (no JSON, no ORM object), with
``special``: whether any of :data:`_SPECIAL_COLUMNS` is set (read as one flag, not as times)."""

_SPECIAL_COLUMNS = ("accepted_at", "unmasked_from", "unmasked_to")
"""A finding with one of these set (accepted, or a window) is never unchanged: it is loaded whole.
An open finding without them has no ``resolved_at`` and no acceptance (they are set and cleared together)."""

_LOAD_CHUNK = 5_000
"""Finding ids per ``IN`` (rows loaded), and findings per chunk of inserts and events, in :func:`record_scan`."""


def _unchanged(light: Any, digest: str, now: datetime, realert_after: timedelta | None) -> bool:
    """Return True when a scan changes nothing on an existing finding but its last sighting.

    Open, not accepted, no window, the same stored digest (so the same severity, path, tags,
    level, steward, exposure, note and explanation), no escalation pending against the severity
    last alerted, and no re-alert due: exactly the case where the field-by-field path would
    change ``last_seen_at`` alone and record no event and no alert (that value now follows the
    scan's record, :func:`~lineage_engine.registry.records.last_seen_column`: nothing is written).
    """
    if light.status != "open" or light.digest is None or light.digest != digest or light.special:
        return False
    alerted = light.last_alerted_severity or light.severity
    if alerted != light.severity and severity_rank(light.severity) > severity_rank(alerted):
        return False
    return realert_after is None or (light.last_alerted_at is not None and now - light.last_alerted_at < realert_after)


class LazyFindings(Sequence[Finding]):
    """``ScanOutcome.still_open`` and ``opened`` of a scan: findings built when read (a steady scan
    keeps 800,000 open, a first scan opens as many).

    Items are :class:`Finding` values, a :class:`_NewFinding` (a finding opened for the first
    time: :func:`finding_from_row` of it), or ``(light row, path, explanation)`` of a finding the
    scan found unchanged: its :class:`Finding` is what :func:`finding_from_row` returns for
    the stored row (the scan's values, ``last_seen_at`` the scan's instant).
    """

    __slots__ = ("_items", "_now")

    def __init__(self, items: list[Any], now: datetime) -> None:
        self._items = items
        self._now = now

    def __len__(self) -> int:
        return len(self._items)

    @overload
    def __getitem__(self, index: int) -> Finding: ...

    @overload
    def __getitem__(self, index: slice) -> list[Finding]: ...

    def __getitem__(self, index: int | slice) -> Finding | list[Finding]:
        if isinstance(index, slice):
            return [self._finding(item) for item in self._items[index]]
        return self._finding(self._items[index])

    def __iter__(self) -> Iterator[Finding]:
        return (self._finding(item) for item in self._items)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"LazyFindings({len(self)} findings)"

    def _finding(self, item: Any) -> Finding:
        if isinstance(item, Finding):
            return item
        if isinstance(item, _NewFinding):
            return finding_from_row(item)  # type: ignore[arg-type]
        light, path, explanation = item
        stored = json.loads(json.dumps(explanation)) if explanation else None  # as read back from the JSON column
        return Finding(
            id=light.id, origin=light.origin, terminal=light.terminal, severity=path.severity.upper(),
            status="open", opened_at=light.opened_at, last_seen_at=self._now, resolved_at=None,
            path=tuple(path.path), regulatory_tags=tuple(path.regulatory_tags), level=path.level,
            steward=path.steward, unmasked_from=None, unmasked_to=None, note=path.note or None,
            exposure=path.exposure or "full", explanation=stored, accepted_until=None, accepted_by=None,
            accepted_reason=None, kind=light.kind or "exposure", rule=light.rule or "")  # open, not accepted


def nearest_ids(session: Session, finding_id: int, n: int = 3) -> list[int]:
    """Return up to ``n`` finding ids nearest ``finding_id`` (ties: the smaller), ascending.

    Two bounded reads by the primary key (ids below and above), not the whole ledger.
    """
    finding_id = max(0, min(finding_id, MAX_ID))
    below = list(session.scalars(select(FindingRow.id).where(FindingRow.id <= finding_id)
                                 .order_by(FindingRow.id.desc()).limit(n)))
    above = list(session.scalars(select(FindingRow.id).where(FindingRow.id > finding_id)
                                 .order_by(FindingRow.id).limit(n)))
    return sorted(sorted([*below, *above], key=lambda i: (abs(i - finding_id), i))[:n])


MAX_ID = 2**63 - 1
"""The largest id the registry's databases hold (a 64-bit signed integer)."""


def latest_scan(session: Session) -> datetime | None:
    """Return the instant of the latest recorded scan (``finding_scans``), None before the first."""
    return session.scalar(select(latest_scan_at()))


def last_seen(session: Session, row: FindingRow) -> datetime:
    """Return ``row``'s last sighting as readers give it (:func:`~lineage_engine.registry.records.last_seen_column`),
    read in ``session`` (its own changes flushed)."""
    session.flush()
    seen = session.scalar(select(last_seen_column()).where(FindingRow.id == row.id))
    return row.last_seen_at if seen is None else seen


def _store_last_seen(session: Session, row: FindingRow) -> None:
    """Store on ``row`` (open) the last sighting readers give it, before its status can change by hand."""
    seen = last_seen(session, row)
    if row.last_seen_at != seen:
        row.last_seen_at = seen


def _finding(session: Session, finding_id: int) -> FindingRow:
    if not 0 < finding_id <= MAX_ID:  # the database cannot even be asked (SQLite: OverflowError)
        raise InputError(f"finding {finding_id}", "no such finding (ids are positive 64-bit integers); "
                                                  "'lineage-engine findings' lists them")
    row = session.get(FindingRow, finding_id)
    if row is None:
        near = nearest_ids(session, finding_id)
        hint = f" (closest ids: {', '.join(str(i) for i in sorted(near))})" if near else " (the ledger is empty)"
        raise InputError(f"finding {finding_id}",
                         f"no such finding{hint}; 'lineage-engine findings' lists them")
    return row


def accept(session: Session, finding_id: int, *, reason: str, until: datetime | None, actor: str,
           now: datetime) -> FindingRow:
    """Accept an open finding: no alerts for it until ``until`` passes (None: until reopened).

    Accepting an accepted finding again replaces its reason and date (a new event).

    Raises:
        InputError: no such finding, it is resolved, the reason is empty, or ``until`` is not
            after ``now``.
    """
    if not reason.strip():
        raise InputError("--reason", "say why the exposure is accepted (it is stored in the event log)")
    if until is not None and until <= now:
        raise InputError("--until", f"{until.isoformat()} is not in the future")
    row = _finding(session, finding_id)
    if row.status != "open":
        raise InputError(f"finding {finding_id}", "is resolved; only open findings can be accepted")
    _store_last_seen(session, row)  # the value returned
    row.accepted_at, row.accepted_until, row.accepted_by, row.accepted_reason = now, until, actor, reason.strip()
    _flush_events(session, [_event(row, "accepted", now, actor, reason.strip(),
                                   until=until.isoformat() if until else None, severity=row.severity)])
    return row


def reopen(session: Session, finding_id: int, *, actor: str, now: datetime, reason: str | None = None) -> FindingRow:
    """End the acceptance of a finding by hand; queue its ``reopened`` alert (delivered by the next scan).

    Raises:
        InputError: no such finding, or it is not accepted.
    """
    row = _finding(session, finding_id)
    if row.status != "open" or row.accepted_at is None:
        raise InputError(f"finding {finding_id}", f"is {row.status}, not accepted; only accepted findings "
                         "can be reopened (a resolved one reopens by itself when its path comes back)")
    _clear_acceptance(row)
    _store_last_seen(session, row)  # the value returned and sent in the alert
    events = [_event(row, "reopened", now, actor, reason, severity=row.severity)]
    path = ExposurePath(origin=row.origin, terminal=row.terminal, path=tuple(row.path), hops=len(row.path) - 1,
                        regulatory_tags=tuple(row.regulatory_tags), classification="", severity=row.severity,
                        level=row.level, steward=row.steward, exposure=row.exposure, kind=row.kind or "exposure",
                        rule=row.rule or "")
    dedupe = f"{ALERT_KIND}:{row.id}:reopened:{now.isoformat()}"
    if insert_alert(session, ALERT_KIND, dedupe, alert_payload(row, path, "reopened", None), now):
        events.append(_event(row, "alerted", now, actor, alert="reopened", dedupe_key=dedupe, severity=row.severity))
    row.last_alerted_at, row.last_alerted_severity = now, row.severity
    _flush_events(session, events)
    return row


def list_events(session: Session, finding_id: int) -> list[FindingEventRow]:
    """Return the events of one finding, oldest first.

    Raises:
        InputError: no such finding.
    """
    _finding(session, finding_id)
    return list(session.scalars(select(FindingEventRow).where(FindingEventRow.finding_id == finding_id)
                                .order_by(FindingEventRow.id)))
