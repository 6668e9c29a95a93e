"""Filter and sort findings rows for the findings page and ``/api/findings``; pure, no I/O."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lineage_engine.exposure.severity import SEVERITIES
from lineage_engine.suggest import check_choice

LEVELS: tuple[str, ...] = ("table", "column")
"""Finding levels (README "Exposure semantics")."""

SORT_KEYS: tuple[str, ...] = ("severity", "opened_at", "last_seen_at", "resolved_at", "origin", "terminal", "status",
                              "level", "id")
"""Columns findings can be sorted by; ``-key`` sorts descending."""

DEFAULT_SORT = "-severity"
"""Most severe first; ties by origin, then terminal."""


def filter_findings(rows: Sequence[dict[str, Any]], *, statuses: Sequence[str], status: str | None = None,
                    severity: str | None = None, origin: str | None = None, level: str | None = None,
                    sort: str = DEFAULT_SORT) -> list[dict[str, Any]]:
    """Return the finding rows (:func:`lineage_engine.report_rows.finding_row`) that match, sorted.

    Args:
        rows: every finding row.
        statuses: the ledger's statuses (``open``, ``resolved``, …).
        status, severity, level: exact values (severity case-insensitive); None: any.
        origin: a dataset or column id: findings from it, or from a column of it (a dataset id
            matches its columns); case-insensitive.
        sort: one of :data:`SORT_KEYS`, ``-`` in front for descending; ties by origin, terminal.

    Raises:
        InputError: a value that is not one of the allowed ones (``status``, ``severity``,
            ``level``, ``sort``), with the closest allowed value.
    """
    check_choice("status", status, statuses)
    severity = severity.upper() if severity else None
    check_choice("severity", severity, SEVERITIES)
    check_choice("level", level, LEVELS)
    descending = sort.startswith("-")
    key = sort.lstrip("-")
    check_choice("sort", key, SORT_KEYS)
    wanted = origin.strip().lower() if origin else None
    out = [r for r in rows
           if (status is None or r.get("status") == status)
           and (severity is None or str(r.get("severity", "")).upper() == severity)
           and (level is None or r.get("level") == level)
           and (wanted is None or _under(str(r.get("origin", "")).lower(), wanted))]
    out.sort(key=lambda r: (str(r.get("origin", "")), str(r.get("terminal", ""))))

    def value(row: dict[str, Any]) -> Any:
        v = row.get(key)
        if key == "severity":
            text = str(v or "").upper()
            return SEVERITIES.index(text) if text in SEVERITIES else -1
        return (v is not None, v if v is not None else "")

    out.sort(key=value, reverse=descending)
    return out


def _under(origin: str, wanted: str) -> bool:
    """Return True when ``origin`` is ``wanted`` or one of its columns."""
    return origin == wanted or origin.startswith(wanted + ".")
