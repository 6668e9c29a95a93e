"""One page of the findings ledger, filtered and sorted in SQL (the web findings page, ``/api/findings``).

The filters and the order are those of :func:`lineage_engine.web.queries.filter_findings`
(which checks the values): a page reads ``limit`` rows and two counts, never the whole
ledger (175,650 findings with their explanations took 2 GiB per request).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from lineage_engine.model import Finding
from lineage_engine.registry.records import finding_from_row, last_seen_column
from lineage_engine.registry.tables import FINDING_STATUS_FILTERS, FindingRow


@dataclass(frozen=True, slots=True)
class FindingsPage:
    """``findings``: one page, in order; ``matching``: findings the filters keep; ``total``: the ledger's."""

    findings: list[Finding]
    matching: int
    total: int


def _shown_status() -> Any:
    """The status a finding row shows: ``accepted`` for an open finding with an acceptance."""
    return case((and_(FindingRow.status == "open", FindingRow.accepted_at.is_not(None)), "accepted"),
                else_=FindingRow.status)


def status_filter(status: str) -> Any:
    """Return the SQL condition of ``findings --status STATUS`` (the CLI, the web page and the API alike).

    ``open`` keeps every open finding, accepted ones included (an accepted finding is an open
    exposure that is not alerted); ``accepted`` the open ones with an acceptance; ``resolved``
    the resolved ones (:data:`~lineage_engine.registry.tables.FINDING_STATUS_FILTERS`).

    Raises:
        ValueError: ``status`` is not one of them (callers check user input first).
    """
    if status == "accepted":
        return and_(FindingRow.status == "open", FindingRow.accepted_at.is_not(None))
    if status in FINDING_STATUS_FILTERS:
        return FindingRow.status == status
    raise ValueError(f"unknown finding status '{status}'; use one of {', '.join(FINDING_STATUS_FILTERS)}")


def _sort_value(key: str, severities: Sequence[str]) -> Any:
    """The SQL value ``key`` sorts by (severity by rank, least urgent first; unknown below all)."""
    if key == "severity":
        upper = func.upper(FindingRow.severity)
        return case(*((upper == name, rank) for rank, name in enumerate(severities)), else_=-1)
    if key == "status":
        return _shown_status()
    if key == "last_seen_at":
        return last_seen_column()  # as shown: an open finding's is the latest scan's
    return getattr(FindingRow, key)


def page_findings(session: Session, *, severities: Sequence[str], status: str | None = None,
                  severity: str | None = None, origin: str | None = None, level: str | None = None,
                  sort: str = "-severity", limit: int = 500, offset: int = 0) -> FindingsPage:
    """Return one page of the findings that match every filter given.

    Args:
        severities: the severities, least urgent first (the rank ``severity`` sorts by).
        status: one of :data:`~lineage_engine.registry.tables.FINDING_STATUS_FILTERS`, as
            ``findings --status`` reads it (:func:`status_filter`: ``open`` includes accepted
            findings); None: any.
        severity, level: exact values (severity case-insensitive); None: any.
        origin: findings from this dataset or column id or from a column of it (lower case).
        sort: a ``findings`` column, ``-`` in front for descending; missing values sort
            first ascending, last descending; ties by origin, terminal, id.
        limit, offset: the page (rows, from 0).

    Raises:
        ValueError: unknown status.
    """
    where = []
    if status is not None:
        where.append(status_filter(status))
    if severity is not None:
        where.append(func.upper(FindingRow.severity) == severity.upper())
    if level is not None:
        where.append(FindingRow.level == level)
    if origin is not None:
        lowered = func.lower(FindingRow.origin)
        where.append(or_(lowered == origin, lowered.startswith(f"{origin}.", autoescape=True)))
    descending = sort.startswith("-")
    value = _sort_value(sort.lstrip("-"), severities)
    order = value.desc().nulls_last() if descending else value.asc().nulls_first()
    query = (select(FindingRow, last_seen_column()).where(*where)
             .order_by(order, FindingRow.origin, FindingRow.terminal, FindingRow.id).limit(limit).offset(offset))
    findings = [finding_from_row(row, seen) for row, seen in session.execute(query)]
    matching = session.scalar(select(func.count()).select_from(FindingRow).where(*where)) or 0
    total = session.scalar(select(func.count()).select_from(FindingRow)) or 0
    return FindingsPage(findings, matching, total)
