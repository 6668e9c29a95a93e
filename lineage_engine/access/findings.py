"""Egress and boundary findings of the scan (issue 14 §4, §6): kinds of their own in the ledger.

The scan's exposure paths (design §7) become three kinds of finding, each keyed by (kind,
rule, origin, terminal) in the findings ledger, opened, alerted once and resolved like
exposure findings:

* ``egress``: an exposure path whose terminal is outside the account (a stage, bucket or
  URL an unload wrote, an external function a call sent the data to: ``extfn:…``), and an
  outbound share exporting a dataset that holds the origin's data now (``share:NAME``;
  :func:`lineage_engine.access.service.share_rows`). Severity: the data's own, raised to
  ``compliance.risk_thresholds.egress`` (default ``HIGH``) when lower.
* ``boundary``: a destination holding an origin's data across a ``compliance.boundaries``
  rule (:mod:`.boundaries`), one per rule, origin and destination; severity
  ``compliance.risk_thresholds.boundary`` (default ``HIGH``). The crossing ends (the finding
  resolves) when the destination no longer holds the data, or the share stops exporting.
* ``exposure``: every other path, as before.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from lineage_engine.access.drift import is_egress
from lineage_engine.exposure.severity import SEVERITIES, severity_for, severity_rank
from lineage_engine.model import ExposurePath

EGRESS_KEY = "egress"
BOUNDARY_KEY = "boundary"
DEFAULT_EGRESS_SEVERITY = "HIGH"
DEFAULT_BOUNDARY_SEVERITY = "HIGH"

Adjust = Callable[[list[ExposurePath], datetime], list[ExposurePath]]


def _threshold(risk_thresholds: Mapping[str, str], key: str, default: str) -> str:
    for name, value in risk_thresholds.items():
        if str(name).strip().lower() == key:
            return SEVERITIES[severity_rank(str(value))]
    return default


def egress_severity(data: str, risk_thresholds: Mapping[str, str]) -> str:
    """Return an egress finding's severity: the data's, raised to ``risk_thresholds.egress`` (HIGH)."""
    floor = _threshold(risk_thresholds, EGRESS_KEY, DEFAULT_EGRESS_SEVERITY)
    return max(data.upper(), floor, key=severity_rank)


def as_egress(path: ExposurePath, risk_thresholds: Mapping[str, str]) -> ExposurePath:
    """Return ``path`` as an egress finding when its terminal is outside the account, else unchanged."""
    if path.kind != "exposure" or not is_egress(path.terminal):
        return path
    return replace(path, kind="egress", severity=egress_severity(path.severity, risk_thresholds))


def finding_adjuster(store: Any, registry: Any, *, sensitive_tags: Sequence[str], risk_thresholds: Mapping[str, str],
                     tag_risk_keys: Mapping[str, str], rules: Sequence[Any], broad_members: int,
                     then: Adjust | None = None, masking: Any = None) -> Adjust:
    """Return the scan's ``adjust`` hook: ``then`` (who can read), egress kinds, shares and boundaries.

    Shares and boundaries are walked only when there is a grant to a share or a rule, once for
    both. ``masking``: the scan's :class:`~lineage_engine.scan.MaskingInputs` (forked), else read.
    """

    def adjust(paths: list[ExposurePath], now: datetime) -> list[ExposurePath]:
        out = [as_egress(p, risk_thresholds) for p in (then(paths, now) if then is not None else paths)]
        adjust.openings = {}  # type: ignore[attr-defined]
        return out + extra_paths(store, registry, now=now, sensitive_tags=sensitive_tags,
                                 risk_thresholds=risk_thresholds, tag_risk_keys=tag_risk_keys, rules=rules,
                                 broad_members=broad_members, openings=adjust.openings,  # type: ignore[attr-defined]
                                 masking=masking)

    adjust.openings = {}  # type: ignore[attr-defined]
    return adjust


def extra_paths(store: Any, registry: Any, *, now: datetime, sensitive_tags: Sequence[str],
                risk_thresholds: Mapping[str, str], tag_risk_keys: Mapping[str, str], rules: Sequence[Any],
                broad_members: int, openings: dict[tuple[str, str], tuple[str, datetime]] | None = None,
                masking: Any = None) -> list[ExposurePath]:
    """Return the share egress paths and the boundary paths as of ``now`` (terminal first, as every path).

    ``openings`` gets (origin, share) -> (query id, time) of the statement that began each share's
    export (:func:`lineage_engine.scan.assess_exposure` names it as the last hop and ``opened_by``).
    The origins are walked once for both (the dataset intervals read in the walk's compact columns
    when no origin is a column, as drift reads them). ``masking``: the scan's masking inputs.
    """
    from lineage_engine.access.service import (
        _facts,
        _masking,
        _present,
        boundary_crossings,
        holdings_for,
        sensitive_origins,
        share_rows,
    )
    from lineage_engine.exposure.origins import index_assets, is_column_asset
    from lineage_engine.scan import load_lineage

    shares_granted = any(f.grantee_kind == "SHARE" for f in registry.grants_at(now))
    if not shares_granted and not rules:
        return []
    assets = _facts(registry, now)
    by_path = index_assets(assets)

    def path_of(origin: str, terminal: str, ids: Sequence[str], kind: str, severity: str | None,
                rule: str = "", note: str = "") -> ExposurePath:
        asset = by_path.get(origin)
        tags = tuple(getattr(asset, "regulatory_tags", ()) or ())
        classification = str(getattr(asset, "classification", "") or "")
        data = severity_for(tags, classification, risk_thresholds, tag_risk_keys)
        level = "column" if asset is not None and is_column_asset(asset) else "table"
        return ExposurePath(origin=origin, terminal=terminal, path=tuple(reversed(ids)), hops=len(ids) - 1,
                            regulatory_tags=tags, classification=classification,
                            severity=severity or egress_severity(data, risk_thresholds), level=level,
                            steward=getattr(asset, "steward", None), note=note, kind=kind, rule=rule)

    out: list[ExposurePath] = []
    origins = _present(store, sensitive_origins(assets, sensitive_tags))
    lineage = load_lineage(store, columns=any(kind == "column" for _, kind in origins)) if origins else None
    walked = holdings_for(store, origins, now, lineage, masking=_masking(registry, masking))
    items = share_rows(registry, walked, now=now, broad_members=broad_members)  # [] without a grant to a share
    if shares_granted:
        for item in items:
            out.append(path_of(item.origin, item.subject, item.path, "egress", None,
                               note=f"shared since {item.at.isoformat()}"))
            if openings is not None:
                openings[(item.origin, item.subject)] = (item.query_id, item.at)
    if rules:
        severity = _threshold(risk_thresholds, BOUNDARY_KEY, DEFAULT_BOUNDARY_SEVERITY)
        for crossing in boundary_crossings(store, registry, now=now, sensitive_tags=sensitive_tags, rules=rules,
                                           broad_members=broad_members, walked=(assets, origins, walked, items)):
            out.append(path_of(crossing.origin, crossing.destination, crossing.path, "boundary", severity,
                               rule=crossing.rule, note=f"crosses boundary '{crossing.rule}'"))
    return out
