"""Fold read facts into daily aggregates (issue 14 §1). Pure: stdlib and :mod:`lineage_engine.model`.

One aggregate per (principal, role, object kind, object id, UTC day): the number of
statements, the first and last END_TIME, the first statement's query id, up to
:data:`SAMPLE_SIZE` query ids and up to :data:`SAMPLE_SIZE` warehouses, and the earliest
Time Travel point read (``content_from``: a statement reading ``t AT (...)`` read ``t``'s
content then; None when every statement read current content). A year of reads
costs one row per principal, role, object and day on which it was read, whatever the number
of statements.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone

from lineage_engine.access.reads import ReadFact
from lineage_engine.model import dataset_of

SAMPLE_SIZE = 5
"""Query ids (and warehouses) kept per aggregate."""

AccessKey = tuple[str, str, str, str, str]
"""(principal, role, object kind ``dataset`` | ``column``, object id, UTC day ``YYYY-MM-DD``)."""


@dataclass(frozen=True, slots=True)
class AccessRead:
    """One stored aggregate of reads (see the module doc); times aware UTC."""

    principal: str
    role: str
    object_kind: str
    object_id: str
    day: str
    first_at: datetime
    last_at: datetime
    reads: int
    first_query_id: str
    sample_query_ids: tuple[str, ...]
    warehouses: tuple[str, ...]
    content_from: datetime | None = None

    @property
    def content_first(self) -> datetime:
        """Return the earliest instant of the content read: ``content_from`` when set, else ``first_at``."""
        return self.first_at if self.content_from is None else min(self.content_from, self.first_at)


@dataclass(slots=True)
class Delta:
    """Reads of one key within one batch, to add to the stored aggregate."""

    first_at: datetime
    last_at: datetime
    first_query_id: str
    reads: int = 0
    samples: list[str] = field(default_factory=list)
    warehouses: list[str] = field(default_factory=list)
    content_from: datetime | None = None

    def add(self, fact: ReadFact, dataset: str | None = None) -> None:
        """Count one statement (a read of ``dataset`` or of one of its columns: its Time Travel point counts)."""
        self.reads += 1
        if dataset is not None and fact.points:
            content = fact.content_from(dataset)
            if content < fact.at and (self.content_from is None or content < self.content_from):
                self.content_from = content
        if fact.at < self.first_at or (fact.at == self.first_at and fact.query_id < self.first_query_id):
            self.first_at, self.first_query_id = fact.at, fact.query_id
        self.last_at = max(self.last_at, fact.at)
        if len(self.samples) < SAMPLE_SIZE and fact.query_id not in self.samples:
            self.samples.append(fact.query_id)
        if fact.warehouse and len(self.warehouses) < SAMPLE_SIZE and fact.warehouse not in self.warehouses:
            self.warehouses.append(fact.warehouse)


def utc_day(moment: datetime) -> str:
    """Return the UTC calendar day of an aware instant as ``YYYY-MM-DD``."""
    return moment.astimezone(timezone.utc).date().isoformat()


def aggregate(facts: Iterable[ReadFact]) -> dict[AccessKey, Delta]:
    """Return the per-key deltas of ``facts`` (each fact counted once per object it read).

    A dataset read through columns counts as a dataset read too (every fact lists the
    datasets of its columns).
    """
    out: dict[AccessKey, Delta] = {}
    for fact in facts:
        day = utc_day(fact.at)
        objects = [("dataset", d) for d in fact.datasets] + [("column", c) for c in fact.columns]
        for kind, object_id in objects:
            key = (fact.principal, fact.role, kind, object_id, day)
            delta = out.get(key)
            if delta is None:
                delta = out[key] = Delta(first_at=fact.at, last_at=fact.at, first_query_id=fact.query_id)
            delta.add(fact, object_id if kind == "dataset" else dataset_of(object_id))
    return out
