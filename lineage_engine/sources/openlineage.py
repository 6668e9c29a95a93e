"""OpenLineage run events as a lineage source (issue 16 §2): received, stored, then merged by the crawl.

Two halves, so that one process writes the graph (the embedded graph takes one writer):

- :func:`receive_events` (``serve``'s ``POST /api/v1/lineage``, ``lineage-engine openlineage
  load``) checks each document against the spec (:mod:`lineage_engine.openlineage.validate`)
  and stores the valid ones in the registry (``openlineage_events``, reduced to lineage, once
  per digest) before answering; an invalid document stores nothing and its error names the
  JSON path.
- :func:`crawl_openlineage` (every ``crawl`` and the service's crawl job) merges the stored
  events after its watermark (the last event id merged, source key ``openlineage:received``)
  into the graph with ``provenance: openlineage``, in batches: graph first, then the watermark,
  so a crash re-merges at most one batch, which changes nothing (run events only add lineage,
  at their own instants).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from lineage_engine.graph.store import GraphStore
from lineage_engine.model import LineageEvent, QuarantineEntry, Watermark
from lineage_engine.openlineage.ingest import lineage_events, query_id_of
from lineage_engine.openlineage.received import digest, reduced
from lineage_engine.openlineage.validate import EventError, check_run_event
from lineage_engine.pipeline import CrawlReport
from lineage_engine.registry.crawl_state import CrawlStateChanges
from lineage_engine.registry.openlineage_events import ReceivedEvent
from lineage_engine.registry.repository import Registry

SOURCE_KEY = "openlineage:received"
BATCH = 1000


@dataclass(frozen=True)
class ReceiveReport:
    """What :func:`receive_events` stored: ``stored`` new events, ``replayed`` already stored ones."""

    stored: int
    replayed: int


def check_documents(documents: Sequence[object]) -> list[ReceivedEvent]:
    """Return the documents as events to store, or raise for the first invalid one.

    Raises:
        EventError: a document breaks the spec; ``path`` is its JSON path, prefixed with
            ``[i]`` when several documents were given.
    """
    out: list[ReceivedEvent] = []
    for index, document in enumerate(documents):
        try:
            event = check_run_event(document)
        except EventError as exc:
            if len(documents) == 1:
                raise
            raise EventError(f"[{index}]" + exc.path.removeprefix("$"), exc.reason) from None
        body = reduced(event)
        out.append(ReceivedEvent(digest=digest(body), run_id=event.run.runId, event_type=event.eventType or "",
                                 event_time=event.at, job=f"{event.job.namespace}/{event.job.name}", body=body))
    return out


def receive_events(registry: Registry, documents: Sequence[object]) -> ReceiveReport:
    """Check every document, then store them all in one transaction (all or none).

    Raises:
        EventError: a document is invalid; nothing is stored.
        RegistryError: the registry cannot be written (nothing is stored; the sender retries).
    """
    events = check_documents(documents)
    stored = registry.add_openlineage_events(events) if events else 0
    return ReceiveReport(stored=stored, replayed=len(events) - stored)


def crawl_openlineage(store: GraphStore, registry: Registry, warehouse: str, *, batch: int = BATCH,
                      clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
                      future_tolerance: timedelta = timedelta(minutes=60)) -> CrawlReport:
    """Merge the stored run events after the watermark into the graph; return what it did.

    ``rows_read`` counts stored events read, ``events`` the lineage events merged (COMPLETE
    events' outputs). An event dated more than ``future_tolerance`` after now (a producer's
    clock or time zone is wrong; merged, it would make lineage of the future) is quarantined as
    ``end_time_in_future``, as query-history rows are; so is one that no longer passes the
    checks (none should).
    """
    started = time.perf_counter()
    report = CrawlReport(source=SOURCE_KEY)
    mark, _ = registry.get_crawl_state(SOURCE_KEY)
    last = int((mark.position or {}).get("id", 0)) if mark is not None else 0
    total = mark.rows_total if mark is not None else 0
    while True:
        rows = registry.openlineage_events_after(last, batch)
        if not rows:
            break
        events: list[LineageEvent] = []
        bad: list[QuarantineEntry] = []
        now = clock()
        for row_id, body in rows:
            where = f"openlineage_events:{row_id}"
            try:
                event = check_run_event(body)
            except EventError as exc:
                bad.append(QuarantineEntry(source=SOURCE_KEY, query_id=None, position=where,
                                           reason_code="malformed_row", reason=str(exc)[:1000], seen_at=now))
                continue
            if event.at > now + future_tolerance:
                bad.append(QuarantineEntry(
                    source=SOURCE_KEY, query_id=query_id_of(event), position=where, reason_code="end_time_in_future",
                    reason=f"eventTime {event.at.isoformat()} is more than {future_tolerance.total_seconds() / 60:g} "
                           f"minutes after now ({now.isoformat()}); check the producer's clock", seen_at=now))
                continue
            events += lineage_events(event, warehouse)
        events.sort(key=lambda e: (e.at, e.query_id))
        report.merge += store.apply_events(events)
        if bad:
            registry.add_quarantine(bad)
        last, total = rows[-1][0], total + len(rows)
        report.watermark = Watermark(source=SOURCE_KEY, end_time=max((e.at for e in events), default=None) or (
            mark.end_time if mark else None), query_id=str(last), rows_total=total, position={"kind": "openlineage",
                                                                                             "id": last})
        registry.commit_crawl_state(report.watermark, CrawlStateChanges())
        report.rows_read += len(rows)
        report.events += len(events)
        report.quarantined += len(bad)
        report.batches += 1
    report.elapsed_seconds = time.perf_counter() - started
    return report
