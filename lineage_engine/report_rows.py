"""Plain rows (JSON-ready dicts) for findings, exposure paths and lineage edges.

One shape for every reader that is not a terminal: the web API (:mod:`lineage_engine.web.api`)
and the evidence pack (:mod:`lineage_engine.evidence`) both build their JSON and CSV from these
functions, so the pack and the view say the same thing. Pure: no I/O.

Conventions: instants are ISO 8601 UTC strings ending in ``Z`` (None stays None); paths are in
data-flow order, origin first (README "Command line"); tuples become lists.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

from lineage_engine.output import flow_order


def iso(value: datetime | None) -> str | None:
    """Return an aware instant as ISO 8601 UTC with ``Z`` (None for None)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def plain_value(value: Any) -> Any:
    """Return ``value`` as JSON-ready data: instants as ISO strings, tuples and sets as lists."""
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, (tuple, list, set, frozenset)):
        items = sorted(value) if isinstance(value, (set, frozenset)) else value
        return [plain_value(v) for v in items]
    if isinstance(value, Mapping):
        return {str(k): plain_value(v) for k, v in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain_value(getattr(value, f.name)) for f in dataclasses.fields(value)}
    return value


def finding_row(finding: Any) -> dict[str, Any]:
    """Return one ledger finding (:class:`lineage_engine.model.Finding`) as a row.

    Every field of the finding, plus ``window`` ("unmasked from T1 to T2" or ""); ``path`` in
    data-flow order (origin first). Fields a later ledger version adds come along unchanged.
    """
    row = plain_value(finding)
    row["path"] = flow_order(row.get("path") or [])
    window = getattr(finding, "window", None)
    row["window"] = window() if callable(window) else ""
    return row


def exposure_row(path: Any) -> dict[str, Any]:
    """Return one exposure path (:class:`lineage_engine.model.ExposurePath`) as a row, origin first."""
    row = plain_value(path)
    row["path"] = flow_order(row.get("path") or [])
    return row


def edge_row(edge: Any, *, level: str = "dataset") -> dict[str, Any]:
    """Return one lineage edge interval (:class:`lineage_engine.model.EdgeRow`) as a row.

    ``level`` ``column`` adds the column edge's ``transform`` and ``kind``.
    """
    row = {"downstream": edge.downstream, "upstream": edge.upstream, "valid_from": iso(edge.valid_from),
           "valid_to": iso(edge.valid_to), "first_seen": iso(edge.first_seen), "last_seen": iso(edge.last_seen),
           "observations": edge.observations, "last_query_id": edge.last_query_id, "query_type": edge.query_type,
           "via": list(edge.via), "provenance": edge.provenance}
    if level == "column":
        row.update(transform=edge.transform, kind=edge.kind)
    return row


def csv_cell(value: Any) -> str:
    """Return a CSV cell: lists joined with `` → `` for paths, ``; `` otherwise; None empty."""
    if value is None:
        return ""
    if isinstance(value, list):
        return "; ".join(csv_cell(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}={csv_cell(v)}" for k, v in value.items())
    return str(value)


def csv_rows(rows: Sequence[Mapping[str, Any]], *, arrows: Iterable[str] = ("path",)) -> list[dict[str, str]]:
    """Return rows with every cell a string (``arrows`` columns joined ``a → b``)."""
    arrow_keys = set(arrows)
    out = []
    for row in rows:
        out.append({k: (" → ".join(str(x) for x in v) if k in arrow_keys and isinstance(v, list) else csv_cell(v))
                    for k, v in row.items()})
    return out
