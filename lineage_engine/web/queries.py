"""Check the findings page's and ``/api/findings``' filters and sort (the registry applies them); pure, no I/O."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lineage_engine.exposure.severity import SEVERITIES
from lineage_engine.model import canonical_id
from lineage_engine.suggest import check_choice

LEVELS: tuple[str, ...] = ("table", "column")
"""Finding levels (README "Exposure semantics")."""

SORT_KEYS: tuple[str, ...] = ("severity", "opened_at", "last_seen_at", "resolved_at", "origin", "terminal", "status",
                              "level", "id")
"""Columns findings can be sorted by; ``-key`` sorts descending."""

DEFAULT_SORT = "-severity"
"""Most severe first; ties by origin, then terminal."""


PAGE_ROWS = 200
"""Findings the findings page shows at a time (``/api/findings``: its ``limit``, default 1,000)."""


def finding_filters(*, statuses: Sequence[str], status: str | None = None, severity: str | None = None,
                    origin: str | None = None, level: str | None = None, sort: str = DEFAULT_SORT) -> dict[str, Any]:
    """Check the findings page's (and ``/api/findings``') filters; return them for
    :meth:`lineage_engine.registry.Registry.page_findings`.

    Args:
        statuses: the statuses findings are filtered by (``open``, ``accepted``, ``resolved``,
            meaning what ``findings --status`` means: ``open`` includes accepted findings).
        status, severity, level: exact values (severity case-insensitive); None: any.
        origin: a dataset or column id as a user spells it (case-insensitive, Snowflake quotes
            allowed: :func:`~lineage_engine.model.canonical_id`): findings from it, or from a
            column of it (a dataset id matches its columns).
        sort: one of :data:`SORT_KEYS`, ``-`` in front for descending; ties by origin, terminal.

    Raises:
        InputError: a value that is not one of the allowed ones (``status``, ``severity``,
            ``level``, ``sort``), with the closest allowed value.
    """
    check_choice("status", status, statuses)
    severity = severity.upper() if severity else None
    check_choice("severity", severity, SEVERITIES)
    check_choice("level", level, LEVELS)
    check_choice("sort", sort.lstrip("-"), SORT_KEYS)
    return {"severities": SEVERITIES, "status": status, "severity": severity, "level": level, "sort": sort,
            "origin": canonical_id(origin) if origin and origin.strip() else None}
