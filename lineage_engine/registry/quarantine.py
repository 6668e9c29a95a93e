"""Quarantine of statements and rows that could not be processed (never raw query text)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select, tuple_
from sqlalchemy.orm import Session

from lineage_engine.model import QuarantineEntry
from lineage_engine.registry.tables import REDACTED_TEXT_MAX, QuarantineRow

_CHUNK = 500


def entry_key(entry: QuarantineEntry) -> tuple[str, str, str]:
    """Return the identity of an entry: (source, query_id or else position, reason_code)."""
    return (entry.source, entry.query_id if entry.query_id is not None else entry.position, entry.reason_code)


def _cap(text: str | None) -> str | None:
    return None if text is None else text[:REDACTED_TEXT_MAX]


def add(session: Session, entries: Sequence[QuarantineEntry], now: datetime) -> int:
    """Insert new entries and bump repeats in the caller's transaction; return how many were new.

    Repeats within ``entries`` count as repeats too. ``seen_at`` (aware) defaults to ``now``.

    Raises:
        ValueError: a naive ``seen_at``.
    """
    grouped: dict[tuple[str, str, str], list[QuarantineEntry]] = {}
    for entry in entries:
        if entry.seen_at is not None and (entry.seen_at.tzinfo is None or entry.seen_at.utcoffset() is None):
            raise ValueError(f"quarantine entry at {entry.position}: seen_at must be timezone-aware (UTC)")
        grouped.setdefault(entry_key(entry), []).append(entry)
    keys = sorted(grouped)
    locator = func.coalesce(QuarantineRow.query_id, QuarantineRow.position)
    created = 0
    for start in range(0, len(keys), _CHUNK):
        chunk = keys[start : start + _CHUNK]
        query = select(QuarantineRow).where(
            tuple_(QuarantineRow.source, locator, QuarantineRow.reason_code).in_(chunk)
        )
        existing = {(r.source, r.query_id if r.query_id is not None else r.position, r.reason_code): r
                    for r in session.scalars(query)}
        for key in chunk:
            group = grouped[key]
            seen = [e.seen_at or now for e in group]
            latest = group[max(range(len(group)), key=seen.__getitem__)]
            row = existing.get(key)
            if row is None:
                row = QuarantineRow(
                    source=latest.source,
                    query_id=latest.query_id,
                    position=latest.position,
                    reason_code=latest.reason_code,
                    first_seen_at=min(seen),
                    last_seen_at=max(seen),
                    occurrences=0,
                )
                session.add(row)
                created += 1
            else:
                row.last_seen_at = max(row.last_seen_at, *seen)
                row.position = latest.position
            row.occurrences += len(group)
            row.reason = latest.reason
            row.fingerprint = latest.fingerprint
            row.redacted_text = _cap(latest.redacted_text)
        session.flush()
    return created
