"""The crawl state kept with a watermark, row by row (issue 13).

A crawl's temp-table resolver state (live sessions, their temporary objects and the reads of
persistent names they remember) and its learned schema live in ``crawl_session``, ``crawl_temp``,
``crawl_reads`` and ``crawl_learned_columns``. A
batch commit writes only what the batch changed (:class:`CrawlStateChanges`), in the
watermark's transaction, so its cost depends on the batch, not on the history before it.
The functions here run in the caller's transaction.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, tuple_
from sqlalchemy.orm import Session

from lineage_engine.registry.tables import CrawlLearnedRow, CrawlReadRow, CrawlSessionRow, CrawlTempRow

_CHUNK = 500

SessionKey = tuple[object, ...]


@dataclass
class CrawlStateChanges:
    """What a batch changed in the crawl state (all deletes apply before all upserts).

    Attributes:
        sessions: ``{session key: last_seen (aware UTC or None)}`` to upsert.
        temps: ``{(session key, temp id): state}`` to upsert (JSON-able).
        gone_temps: ``(session key, temp id)`` to delete.
        gone_sessions: session keys to delete with all their temps and reads.
        learned: ``{dataset id: (order, columns)}`` to upsert.
        forgotten: dataset ids to delete from the learned schema.
        reads: ``{(session key, name): [order, [read, ...]]}`` to upsert (JSON-able).
        gone_reads: ``(session key, name)`` to delete.
    """

    sessions: Mapping[SessionKey, datetime | None] = field(default_factory=dict)
    temps: Mapping[tuple[SessionKey, str], Mapping[str, Any]] = field(default_factory=dict)
    gone_temps: Iterable[tuple[SessionKey, str]] = ()
    gone_sessions: Iterable[SessionKey] = ()
    learned: Mapping[str, tuple[int, Sequence[str]]] = field(default_factory=dict)
    forgotten: Iterable[str] = ()
    reads: Mapping[tuple[SessionKey, str], Sequence[Any]] = field(default_factory=dict)
    gone_reads: Iterable[tuple[SessionKey, str]] = ()


def _key(key: SessionKey) -> str:
    return json.dumps(list(key))


def _chunks(values: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start:start + _CHUNK]


def load(session: Session, source: str) -> dict[str, Any]:
    """Return the stored state of ``source`` in the shape of ``SessionResolver.to_state()``
    plus ``schema`` (``[[dataset_id, [columns]], ...]`` oldest first) and ``schema_order``
    (their learning order numbers); keys without content are left out."""
    sessions: dict[str, dict[str, Any]] = {}
    for row in session.scalars(select(CrawlSessionRow).where(CrawlSessionRow.source == source)
                               .order_by(CrawlSessionRow.session_key)):
        sessions[row.session_key] = {"key": json.loads(row.session_key),
                                     "last_seen": row.last_seen.isoformat() if row.last_seen else None, "temps": {}}
    for temp in session.scalars(select(CrawlTempRow).where(CrawlTempRow.source == source)
                                .order_by(CrawlTempRow.session_key, CrawlTempRow.temp_id)):
        if temp.session_key in sessions:
            sessions[temp.session_key]["temps"][temp.temp_id] = temp.state
    for key, name, seq, reads in session.execute(
            select(CrawlReadRow.session_key, CrawlReadRow.name, CrawlReadRow.seq, CrawlReadRow.reads)
            .where(CrawlReadRow.source == source).order_by(CrawlReadRow.session_key, CrawlReadRow.seq)):
        if key in sessions:
            sessions[key].setdefault("reads", {})[name] = [seq, reads]
    state: dict[str, Any] = {}
    live = [s for s in sessions.values() if s["temps"] or s.get("reads")]
    if live:
        state["sessions"] = live
    learned = session.execute(select(CrawlLearnedRow.dataset_id, CrawlLearnedRow.columns, CrawlLearnedRow.seq)
                              .where(CrawlLearnedRow.source == source).order_by(CrawlLearnedRow.seq)).all()
    if learned:
        state["schema"] = [[dataset_id, list(columns)] for dataset_id, columns, _ in learned]
        state["schema_order"] = [seq for _, _, seq in learned]
    return state


def replace(session: Session, source: str, state: Mapping[str, Any]) -> None:
    """Replace the whole stored state of ``source`` with ``state`` (the shape of :func:`load`)."""
    clear(session, source)
    sessions = {tuple(item["key"]): (datetime.fromisoformat(item["last_seen"]) if item.get("last_seen") else None)
                for item in state.get("sessions") or []}
    temps = {(tuple(item["key"]), temp_id): temp
             for item in state.get("sessions") or [] for temp_id, temp in item["temps"].items()}
    schema = state.get("schema") or []
    order = state.get("schema_order") or list(range(len(schema)))
    learned = {dataset_id: (seq, columns) for (dataset_id, columns), seq in zip(schema, order, strict=True)}
    reads = {(tuple(item["key"]), name): kept
             for item in state.get("sessions") or [] for name, kept in (item.get("reads") or {}).items()}
    apply(session, source, CrawlStateChanges(sessions=sessions, temps=temps, learned=learned, reads=reads))


def clear(session: Session, source: str) -> None:
    """Delete every stored session, temp, remembered read and learned dataset of ``source``."""
    for table in (CrawlTempRow, CrawlReadRow, CrawlSessionRow, CrawlLearnedRow):
        session.execute(delete(table).where(table.source == source))


def apply(session: Session, source: str, changes: CrawlStateChanges) -> None:
    """Write ``changes`` for ``source``: deletes first, then upserts (delete + insert by key)."""
    gone_sessions = sorted({_key(k) for k in changes.gone_sessions} | {_key(k) for k in changes.sessions})
    for chunk in _chunks(gone_sessions):
        session.execute(delete(CrawlSessionRow).where(CrawlSessionRow.source == source,
                                                      CrawlSessionRow.session_key.in_(chunk)))
    dropped = sorted({_key(k) for k in changes.gone_sessions})
    for chunk in _chunks(dropped):
        session.execute(delete(CrawlTempRow).where(CrawlTempRow.source == source, CrawlTempRow.session_key.in_(chunk)))
        session.execute(delete(CrawlReadRow).where(CrawlReadRow.source == source, CrawlReadRow.session_key.in_(chunk)))
    read_keys = sorted({(_key(k), n) for k, n in changes.gone_reads} | {(_key(k), n) for k, n in changes.reads})
    for chunk in _chunks(read_keys):
        session.execute(delete(CrawlReadRow).where(
            CrawlReadRow.source == source, tuple_(CrawlReadRow.session_key, CrawlReadRow.name).in_(chunk)))
    temp_keys = sorted({(_key(k), t) for k, t in changes.gone_temps} | {(_key(k), t) for k, t in changes.temps})
    for chunk in _chunks(temp_keys):
        session.execute(delete(CrawlTempRow).where(
            CrawlTempRow.source == source, tuple_(CrawlTempRow.session_key, CrawlTempRow.temp_id).in_(chunk)))
    datasets = sorted(set(changes.forgotten) | set(changes.learned))
    for chunk in _chunks(datasets):
        session.execute(delete(CrawlLearnedRow).where(CrawlLearnedRow.source == source,
                                                      CrawlLearnedRow.dataset_id.in_(chunk)))
    session.flush()
    # many rows per batch: Core inserts, no ORM object each (a unit-of-work flush of the solana crawl's
    # 3,440 temps and 1,550 learned datasets cost most of registry.state.write, issue 13)
    if changes.sessions:
        session.execute(insert(CrawlSessionRow), [{"source": source, "session_key": _key(k), "last_seen": seen}
                                                  for k, seen in changes.sessions.items()])
    if changes.temps:
        session.execute(insert(CrawlTempRow), [{"source": source, "session_key": _key(k), "temp_id": t,
                                                "state": dict(state)} for (k, t), state in changes.temps.items()])
    if changes.learned:
        session.execute(insert(CrawlLearnedRow), [{"source": source, "dataset_id": d, "seq": seq,
                                                   "columns": list(columns)}
                                                  for d, (seq, columns) in changes.learned.items()])
    if changes.reads:  # many per batch: Core inserts, no ORM object each
        session.execute(insert(CrawlReadRow), [
            {"source": source, "session_key": _key(k), "name": n, "seq": int(kept[0]), "reads": list(kept[1])}
            for (k, n), kept in changes.reads.items()])
