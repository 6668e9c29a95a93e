"""Boundaries (issue 14 §6): paths that take an origin's data where a rule forbids it. Pure: stdlib only.

A rule (``compliance.boundaries``) picks origins by id glob (``origins: "eu_db.*"``) or by
classification (``classification: pci``: a regulatory tag or the classification level of the
origin's registry asset, or of its dataset's for a column origin), and says where their data
must not be held: ``forbidden`` globs, or ``allowed`` globs (everything else is forbidden).
Globs (``fnmatch``, case-insensitive; ``*`` also spans dots) are matched against the
destination's id and, for a column, its dataset id; shares are ``share:NAME``. The origin's
own dataset is never a crossing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any


@dataclass(frozen=True, slots=True)
class Crossing:
    """A destination holding an origin's data across a boundary rule."""

    rule: str
    origin: str
    destination: str
    path: tuple[str, ...]


def _matches(globs: Iterable[str], *ids: str) -> bool:
    return any(fnmatchcase(i.lower(), g.lower()) for g in globs for i in ids)


def rule_applies(rule: Any, origin: str, origin_dataset: str, assets: Mapping[str, Any]) -> bool:
    """Return True when ``rule`` picks ``origin`` (by id glob, or by the asset's tags or classification)."""
    if rule.origins:
        return _matches(rule.origins, origin, origin_dataset)
    wanted = (rule.classification or "").strip().lower()
    for path in (origin, origin_dataset):
        asset = assets.get(path)
        if asset is None:
            continue
        tags = {t.strip().lower() for t in getattr(asset, "regulatory_tags", ()) or ()}
        if wanted in tags or (getattr(asset, "classification", "") or "").lower() == wanted:
            return True
    return False


def crossings(rules: Sequence[Any], origin: str, origin_dataset: str, assets: Mapping[str, Any],
              destinations: Iterable[tuple[str, str, tuple[str, ...]]]) -> list[Crossing]:
    """Return the crossings of one origin, one per rule and destination (the shortest path).

    Args:
        destinations: ``(destination id, its dataset id, path origin first)`` of everything
            holding the origin's data now (shares as ``share:NAME`` with itself as dataset).
    """
    found: dict[tuple[str, str], Crossing] = {}
    for rule in rules:
        if not rule_applies(rule, origin, origin_dataset, assets):
            continue
        for destination, dataset, path in destinations:
            if dataset == origin_dataset:
                continue
            crossed = (_matches(rule.forbidden, destination, dataset) if rule.forbidden
                       else not _matches(rule.allowed or (), destination, dataset))
            old = found.get((rule.name, destination))
            if crossed and (old is None or (len(path), path) < (len(old.path), old.path)):
                found[(rule.name, destination)] = Crossing(rule.name, origin, destination, path)
    return list(found.values())
