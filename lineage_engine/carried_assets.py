"""Classified assets carried to the names their tables were renamed or swapped to (pure).

A classification file names an asset by path (``db.s.pii.email``). Snowflake's ``ALTER TABLE
… RENAME TO`` gives the table, its rows, a new name, and ``SWAP WITH`` exchanges two tables'
contents (Snowflake docs, "ALTER TABLE"); ``ALTER SCHEMA|DATABASE … RENAME TO`` / ``SWAP WITH``
do the same for everything inside. The lineage graph moves a dataset's incoming lineage with
the name, but a sensitive origin has no incoming lineage: its content is what the registry
says. So the registry assets seen by an answer are extended here: the content of an asset's
object follows every rename and swap (in time order, transitively) and each name it reached
is given a copy of the asset, unless the registry already has an asset at that name.

Warehouse facts (tags, policies read from the query history or ACCOUNT_USAGE) already move
with their objects in the registry (:mod:`lineage_engine.registry.policies`); they then
stand at the new name and nothing is derived for them. Imported facts stay at the path the
file names (a re-import keeps speaking of that path), so the original path stays an origin.

Over-reports, on purpose (a missed exposure is the worse defect): a carried asset counts
for the whole history of the new name, so in a swap, a copy made from the other table
*before* the swap is reported too; a name reached and later renamed away stays an origin.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import NamedTuple

from lineage_engine.model import Asset, is_part_of


class ObjectMove(NamedTuple):
    """A recorded ``RENAME`` or ``SWAP`` of a dataset (or, ``container``, a schema or database).

    ``mode``: ``rename`` (``source``'s content now at ``target``) or ``swap`` (the two
    exchange contents). ``at``: the statement's end time (UTC). From the registry's
    ``object_changes`` (:meth:`lineage_engine.registry.Registry.object_moves`).
    """

    source: str
    target: str
    mode: str
    container: bool
    at: datetime


def _moved(path: str, move: ObjectMove) -> str | None:
    """Return where ``move`` takes the content at ``path``, or None when it does not touch it."""
    sides = [(move.source, move.target)]
    if move.mode == "swap":
        sides.append((move.target, move.source))
    for old, new in sides:
        if is_part_of(path, old, move.container):
            return new + path[len(old):]
    return None


def carry_assets(assets: Sequence[Asset], moves: Sequence[ObjectMove]) -> tuple[list[Asset], dict[str, str]]:
    """Return ``assets`` plus a copy of each at every name its content was renamed or swapped to.

    Args:
        assets: the registry's assets as of an instant (lower-case catalog paths).
        moves: the renames and swaps recorded up to that instant, any order (sorted here by ``at``).

    Returns:
        ``(assets, carried)``: the given assets followed by the carried copies (sorted by
        path), and ``carried``: carried path -> the asset path it came from.
    """
    if not moves:
        return list(assets), {}
    ordered = sorted(moves, key=lambda m: m.at)
    known = {(a.catalog_path, a.asset_type) for a in assets}
    carried: dict[tuple[str, str], Asset] = {}
    came_from: dict[str, str] = {}
    for asset in assets:
        where = {asset.catalog_path}
        for move in ordered:
            where = {_moved(p, move) or p for p in where}
            for path in where:
                key = (path, asset.asset_type)
                if key in known or key in carried:
                    continue
                carried[key] = replace(asset, catalog_path=path)
                came_from[path] = asset.catalog_path
    return list(assets) + [carried[k] for k in sorted(carried)], came_from
