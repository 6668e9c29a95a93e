"""Classification sync: registry assets -> ``Dataset`` / ``Column`` node properties (design §4, §8).

Cypher texts per label plus the pure diff that decides which nodes change. A dataset asset
(``db.schema.table``, or ``@db.schema.stage``) syncs onto the ``Dataset`` node with that id;
a column asset (``asset_type == "column"`` or a four-part catalog path) onto the ``Column``
node. ``Column`` nodes carry no steward (design §4). An unmasked asset (no masking policy
or ``NONE``) stores ``masking_policy = null``, which traces read as unmasked through
``coalesce(n.masking_policy, 'NONE')``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from lineage_engine.model import Asset, split_id

LABELS: tuple[str, ...] = ("Dataset", "Column")
FIELDS: dict[str, tuple[str, ...]] = {
    "Dataset": ("classification", "tags", "steward", "masking_policy"),
    "Column": ("classification", "tags", "masking_policy"),
}
_PATTERN = {"Dataset": "Dataset", "Column": "`Column`"}  # `Column` is reserved in LadybugDB


def _returns(label: str) -> str:
    return ", ".join(["n.id AS id", *(f"n.{f} AS {f}" for f in FIELDS[label])])


def read_current(label: str) -> str:
    """Cypher: every node of ``label`` that carries any registry property."""
    carried = " OR ".join(f"n.{f} IS NOT NULL" for f in FIELDS[label])
    return f"MATCH (n:{_PATTERN[label]}) WHERE {carried} RETURN {_returns(label)}"


def read_by_id(label: str) -> str:
    """Cypher: nodes of ``label`` with the given ``$ids`` (missing ids give no row)."""
    return f"UNWIND $ids AS i MATCH (n:{_PATTERN[label]} {{id: i}}) RETURN {_returns(label)}"


def set_properties(label: str) -> str:
    """Cypher: set the registry properties from ``$rows``."""
    assignments = ", ".join(f"n.{f} = r.{f}" for f in FIELDS[label])
    return f"UNWIND $rows AS r MATCH (n:{_PATTERN[label]} {{id: r.id}}) SET {assignments}"


def clear_properties(label: str) -> str:
    """Cypher: reset the registry properties of ``$ids`` to null (literal NULL, see cypher_store)."""
    assignments = ", ".join(f"n.{f} = NULL" for f in FIELDS[label])
    return f"UNWIND $ids AS i MATCH (n:{_PATTERN[label]} {{id: i}}) SET {assignments}"


def is_column_asset(asset: Asset) -> bool:
    """Return True for a column-level asset (declared, or a four-part catalog path)."""
    return asset.asset_type == "column" or len(split_id(asset.catalog_path.lstrip("@"))) == 4


def wanted_properties(assets: Sequence[Asset], label: str) -> dict[str, dict[str, object]]:
    """Return ``{node id: {field: value}}`` for the assets that belong on ``label`` nodes.

    Later assets with the same catalog path win. Tags are a sorted list (empty when none).
    """
    wanted: dict[str, dict[str, object]] = {}
    for asset in assets:
        if is_column_asset(asset) != (label == "Column"):
            continue
        values: dict[str, object] = {
            "classification": asset.classification,
            "tags": sorted(asset.regulatory_tags),
            "steward": asset.steward,
            "masking_policy": asset.masking_policy if asset.is_masked else None,
        }
        wanted[asset.catalog_path.lower()] = {f: values[f] for f in FIELDS[label]}
    return wanted


def diff(
    wanted: Mapping[str, Mapping[str, object]],
    current: Mapping[str, Mapping[str, object]],
    label: str,
) -> tuple[list[dict[str, object]], list[str]]:
    """Return ``(rows to set, ids to clear)``, both sorted by id.

    Args:
        wanted: from :func:`wanted_properties`.
        current: existing nodes (those carrying properties, and those named by an asset),
            keyed by id, each with the ``FIELDS[label]`` values as stored.
    """
    rows = []
    for node_id in sorted(wanted):
        if node_id in current and any(_norm(current[node_id].get(f)) != _norm(wanted[node_id][f])
                                       for f in FIELDS[label]):
            rows.append({"id": node_id, **wanted[node_id]})
    clear = sorted(
        node_id for node_id, values in current.items()
        if node_id not in wanted and any(values.get(f) is not None for f in FIELDS[label])
    )
    return rows, clear


def _norm(value: object) -> object:
    return list(value) if isinstance(value, (list, tuple)) else value
