"""The findings event log: append-only, one SHA-256 hash chain per installation (issue 10 §7).

Every state change of a finding (``opened``, ``escalated``, ``resolved``, ``accepted``,
``reopened``, ``alerted``; ``genesis`` for findings that existed when the log began) is one
row of ``finding_events``, written in the same transaction as the change itself. Each row
stores ``prev_hash``, the ``hash`` of the row before it (by ``id``; 64 zeros for the first),
and its own ``hash``:

    hash = SHA-256( canonical JSON of {finding_id, event, at, actor, reason, details, prev_hash} )

Canonical JSON: keys sorted, no spaces, UTF-8, ``at`` as ISO 8601 UTC with microseconds.
Editing any field of a row, deleting a row or inserting one breaks the chain at that row:
:func:`verify_chain` names the first row that does not match. (Cutting rows off the *end*
leaves a valid shorter chain; keep the last hash elsewhere to detect that, e.g. in the audit
export of issue 15.) Appends take a lock (PostgreSQL advisory lock; SQLite writes are
serialized by ``BEGIN IMMEDIATE``) and ``prev_hash`` is unique, so the chain never forks.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from lineage_engine.registry.bulk_rows import PlainInsert
from lineage_engine.registry.tables import FindingEventRow

GENESIS_HASH = "0" * 64
"""``prev_hash`` of the first event of an installation."""

_CHAIN_LOCK_KEY = 0x4C45_5643  # PostgreSQL advisory lock for appends ("LEVC")
_INSERT_CHUNK = 10_000  # events per executemany (no ORM object per event: a scan may append a million)


def _iso(value: datetime) -> str:
    return value.astimezone(timezone.utc).isoformat(timespec="microseconds")


def event_hash(event: Mapping[str, Any], prev_hash: str) -> str:
    """Return the SHA-256 (hex) of one event's canonical content chained to ``prev_hash``.

    ``event`` holds ``finding_id``, ``event``, ``at`` (aware datetime), ``actor``, ``reason``
    and ``details`` (JSON-able, no floats).
    """
    return _content_hash(int(event["finding_id"]), str(event["event"]), _iso(event["at"]), str(event["actor"]),
                         event.get("reason"), event.get("details") or {}, prev_hash)


_canonical = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode
"""``json.dumps(…, sort_keys=True, separators=(",", ":"), ensure_ascii=False)``, its encoder made once."""


def _content_hash(finding_id: int, event: str, at: str, actor: str, reason: Any, details: Any, prev_hash: str) -> str:
    content = {"finding_id": finding_id, "event": event, "at": at, "actor": actor, "reason": reason,
               "details": details, "prev_hash": prev_hash}
    return hashlib.sha256(_canonical(content).encode("utf-8")).hexdigest()


def chain_rows(prev_hash: str | None, events: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Return ``events`` as rows chained after ``prev_hash`` (None: the first of the chain)."""
    out: list[dict[str, Any]] = []
    previous = prev_hash or GENESIS_HASH
    for event in events:
        row = {"finding_id": int(event["finding_id"]), "event": event["event"], "at": event["at"],
               "actor": event["actor"], "reason": event.get("reason"), "details": dict(event.get("details") or {})}
        row["prev_hash"] = previous
        row["hash"] = previous = event_hash(row, previous)
        out.append(row)
    return out


def append_events(session: Session, events: Iterable[Mapping[str, Any]]) -> None:
    """Append events at the end of the chain, inside the caller's transaction.

    ``events`` may be any iterable (a generator is read once): they are chained and inserted
    :data:`_INSERT_CHUNK` at a time (one executemany of prepared values,
    :class:`~lineage_engine.registry.bulk_rows.PlainInsert`), so a scan appending a million
    events never holds them all as rows (issue 13 §6). A naive time raises before its chunk
    is written; the caller's transaction then rolls back what was appended before it.

    Raises:
        ValueError: an event time is naive.
    """
    previous = GENESIS_HASH
    chunk: list[dict[str, Any]] = []
    insert_rows: PlainInsert | None = None
    iso_at: dict[datetime, str] = {}  # a scan's events share one time
    for event in events:
        at = event["at"]
        if at.tzinfo is None:
            raise ValueError("finding events need timezone-aware UTC times")
        if insert_rows is None:
            if session.get_bind().dialect.name == "postgresql":
                session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CHAIN_LOCK_KEY})
            session.flush()
            previous = session.scalar(select(FindingEventRow.hash).order_by(FindingEventRow.id.desc()).limit(1)) \
                or GENESIS_HASH
            insert_rows = PlainInsert(session, FindingEventRow.__table__, _EVENT_COLUMNS, json_columns=("details",),
                                      time_columns=("at",))
        stamp = iso_at.get(at)
        if stamp is None:
            stamp = iso_at[at] = _iso(at)
        finding_id, name, actor, reason = int(event["finding_id"]), event["event"], event["actor"], event.get("reason")
        details = dict(event.get("details") or {})
        digest = _content_hash(finding_id, str(name), stamp, str(actor), reason, details, previous)
        chunk.append({"finding_id": finding_id, "event": name, "at": at, "actor": actor, "reason": reason,
                      "details": _dumps(details), "prev_hash": previous, "hash": digest})
        previous = digest
        if len(chunk) == _INSERT_CHUNK:  # one multi-row insert per chunk, ids in chain order
            insert_rows.execute(session, chunk)
            chunk = []
    if chunk and insert_rows is not None:
        insert_rows.execute(session, chunk)


_EVENT_COLUMNS = ("finding_id", "event", "at", "actor", "reason", "details", "prev_hash", "hash")
_dumps = json.dumps  # the text SQLAlchemy's JSON type stores for ``details``


@dataclass(frozen=True, slots=True)
class ChainCheck:
    """The result of :func:`verify_chain`.

    Attributes:
        checked: events read (in id order) up to and including the first bad one.
        bad_id: id of the first event that does not match; None when the chain is intact.
        finding_id: that event's finding.
        problem: what does not match, in plain words.
        last_hash: the hash of the last event (the chain's head) when intact.
        last_id: the id of the last event when intact (None: the log is empty).
    """

    checked: int
    bad_id: int | None = None
    finding_id: int | None = None
    problem: str = ""
    last_hash: str = GENESIS_HASH
    last_id: int | None = None

    @property
    def ok(self) -> bool:
        """Return True when every event matched."""
        return self.bad_id is None


@dataclass(frozen=True, slots=True)
class ChainHead:
    """The newest event of the findings event log: what an evidence pack pins (issue 15 §2).

    Attributes:
        event_id: id of the last event (``finding_events.id``); None while the log is empty.
        hash: its SHA-256 (64 hex characters); :data:`GENESIS_HASH` while the log is empty.
        events: how many events the log holds.

    Keeping ``(event_id, hash)`` outside the registry lets a later ``findings verify`` (or a
    reader of the pack) notice events cut off the end, which the chain alone cannot show.
    """

    event_id: int | None
    hash: str
    events: int

    def as_dict(self) -> dict[str, object]:
        """Return ``{"event_id", "hash", "events"}`` (JSON-able)."""
        return {"event_id": self.event_id, "hash": self.hash, "events": self.events}


def chain_head(session: Session) -> ChainHead:
    """Return the head of the findings event log as stored (read-only; not verified: see
    :func:`verify_chain`)."""
    last = session.execute(select(FindingEventRow.id, FindingEventRow.hash)
                           .order_by(FindingEventRow.id.desc()).limit(1)).first()
    count = session.scalar(select(func.count()).select_from(FindingEventRow)) or 0
    if last is None:
        return ChainHead(None, GENESIS_HASH, 0)
    return ChainHead(int(last.id), str(last.hash), int(count))


def verify_chain(session: Session, expect_head: tuple[int, str] | None = None) -> ChainCheck:
    """Walk the chain in id order; return the first event whose links or content do not match.

    ``expect_head`` (event id, hash), e.g. from an evidence pack's manifest: the chain must
    still hold that event with that hash; a chain cut off before it, or rewritten through it,
    fails naming it (what the chain alone cannot show: see the module docstring).
    """
    previous = GENESIS_HASH
    checked = 0
    last_id: int | None = None
    seen_expected = False
    for row in session.scalars(select(FindingEventRow).order_by(FindingEventRow.id)):
        checked += 1
        if row.prev_hash != previous:
            gap = (f"; ids {last_id + 1}..{row.id - 1} are absent" if last_id is not None and row.id > last_id + 1
                   else "")
            return ChainCheck(checked, row.id, row.finding_id,
                              "its prev_hash is not the hash of the event before it (an event was removed, "
                              f"inserted or changed before it{gap})")
        content = {"finding_id": row.finding_id, "event": row.event, "at": row.at, "actor": row.actor,
                   "reason": row.reason, "details": row.details}
        if event_hash(content, previous) != row.hash:
            return ChainCheck(checked, row.id, row.finding_id,
                              "its content does not match its hash (the row was edited)")
        if expect_head is not None and row.id == expect_head[0]:
            seen_expected = True
            if row.hash != expect_head[1].strip().lower():
                return ChainCheck(checked, row.id, row.finding_id,
                                  f"its hash is not the expected head {expect_head[1]} (the chain was rewritten "
                                  "through it)")
        previous, last_id = row.hash, row.id
    if expect_head is not None and not seen_expected:
        return ChainCheck(checked + 1, expect_head[0], None,  # the missing head is the bad one
                          f"the expected head event is not in the log (events were cut off the end; the log "
                          f"ends at event {last_id})")
    return ChainCheck(checked, last_hash=previous, last_id=last_id)
