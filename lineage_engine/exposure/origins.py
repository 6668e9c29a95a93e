"""Pick the sensitive origins of exposure paths from registry assets (design §7).

Pure: stdlib and :mod:`lineage_engine.model` only.

A **sensitive origin** is a registry asset (dataset or column) whose regulatory tags meet
the configured PII tags (``compliance.sensitive_tags``), or whose classification is
``restricted`` (configurable).

Which level a walk starts at (issue 5, :func:`split_origins`): a sensitive *column* is walked
at column level from that column. A dataset that has sensitive columns is walked from them
only: its sensitivity is taken to live in those columns (column-level knowledge wins), so a
copy of its other columns is not an exposure. A sensitive dataset without sensitive
columns keeps table-level behaviour (:func:`find_origin_datasets`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace

from lineage_engine.model import CLASSIFICATION_LEVELS, Asset, dataset_of, split_id


def classification_rank(classification: str | None) -> int:
    """Return the index of ``classification`` in ``CLASSIFICATION_LEVELS``; -1 if None or unknown.

    Case-insensitive. An unknown or missing classification ranks below ``public``: it
    never counts as governed.
    """
    if not classification:
        return -1
    value = classification.strip().lower()
    return CLASSIFICATION_LEVELS.index(value) if value in CLASSIFICATION_LEVELS else -1


def find_sensitive_origins(
    assets: Sequence[Asset],
    *,
    pii_tags: frozenset[str],
    sensitive_classifications: frozenset[str] = frozenset({"restricted"}),
) -> list[Asset]:
    """Return the assets that start exposure paths.

    An asset qualifies when one of its regulatory tags is in ``pii_tags``, or when its
    classification is in ``sensitive_classifications``; both comparisons ignore case
    and surrounding spaces. Masking does not matter here: a masked asset still holds the
    regulated values (its masking is what a downstream copy may bypass).

    Args:
        assets: registry assets, datasets and columns.
        pii_tags: ``compliance.sensitive_tags``.
        sensitive_classifications: classifications that are sensitive without any tag.

    Returns:
        The qualifying assets, sorted by ``catalog_path`` then ``asset_type``, each once.
    """
    tags = {t.strip().lower() for t in pii_tags}
    classes = {c.strip().lower() for c in sensitive_classifications}
    found: dict[tuple[str, str], Asset] = {}
    for asset in assets:
        asset_tags = {t.strip().lower() for t in asset.regulatory_tags}
        cls = (asset.classification or "").strip().lower()
        if asset_tags & tags or cls in classes:
            found.setdefault((asset.catalog_path, asset.asset_type), asset)
    return [found[k] for k in sorted(found)]


def dataset_id_of(asset: Asset) -> str:
    """Return the dataset id an asset belongs to: itself for a dataset, the table for a column.

    A column's ``catalog_path`` is ``db.schema.table.column``; its dataset is the first three
    parts (a part holding a dot is double-quoted, the id quoting rule of :mod:`lineage_engine.model`).
    """
    if is_column_asset(asset):
        return dataset_of(asset.catalog_path)
    return asset.catalog_path


def is_column_asset(asset: Asset) -> bool:
    """Return True for a column-level asset: declared, or a four-part catalog path.

    The same rule as the classification sync (``graph/sync.py``), restated here to keep
    this package pure.
    """
    return asset.asset_type == "column" or len(split_id(asset.catalog_path.lstrip("@"))) == 4


def find_origin_datasets(
    origins: Iterable[Asset], assets_by_path: Mapping[str, Asset] | None = None
) -> dict[str, Asset]:
    """Fold sensitive origins onto dataset ids, for dataset-level (``table``) walks.

    A dataset with several sensitive assets (itself and/or columns) becomes one origin.
    Its members are those origins plus, when ``assets_by_path`` holds it, the dataset's own
    registry asset (a PII column makes its table an origin even when the table's own entry
    carries no tag). Regulatory tags are unioned (lower-case, sorted), the classification is
    the most sensitive one, and the steward is the dataset asset's, else the first sensitive
    column's (by path) that has one.

    Args:
        origins: from :func:`find_sensitive_origins`.
        assets_by_path: every registry asset by ``catalog_path`` (see :func:`index_assets`).

    Returns:
        dataset id -> a dataset-type :class:`Asset` standing for it, keys in sorted order.
    """
    groups: dict[str, list[Asset]] = {}
    for asset in origins:
        groups.setdefault(dataset_id_of(asset), []).append(asset)
    folded: dict[str, Asset] = {}
    for dataset_id in sorted(groups):
        members = list(groups[dataset_id])
        own = (assets_by_path or {}).get(dataset_id)
        if own is not None and not is_column_asset(own) and own not in members:
            members.append(own)
        members.sort(key=lambda a: (is_column_asset(a), a.catalog_path))
        tags = sorted({t.strip().lower() for a in members for t in a.regulatory_tags})
        cls = max((a.classification for a in members), key=classification_rank)
        steward = next((a.steward for a in members if a.steward), None)
        folded[dataset_id] = replace(
            members[0],
            catalog_path=dataset_id,
            asset_type="dataset",
            classification=cls,
            regulatory_tags=tuple(tags),
            steward=steward,
        )
    return folded


def column_origin_count(origins: Iterable[Asset]) -> int:
    """Return how many origins are column-level assets."""
    return sum(1 for a in origins if is_column_asset(a))


def find_column_origins(
    origins: Iterable[Asset], assets_by_path: Mapping[str, Asset] | None = None
) -> dict[str, Asset]:
    """Return the column-level origins, keyed by column id, for column walks.

    Each sensitive column asset stands for itself, enriched with its dataset's registry
    entry when there is one (the column holds part of the dataset's data, so the dataset's
    rules apply to it too): regulatory tags unioned, the more sensitive classification, and
    the dataset's steward when the column has none.

    Args:
        origins: from :func:`find_sensitive_origins` (dataset assets are ignored here).
        assets_by_path: every registry asset by ``catalog_path``.

    Returns:
        column id -> column-type :class:`Asset`, keys in sorted order.
    """
    found: dict[str, Asset] = {}
    for asset in sorted((a for a in origins if is_column_asset(a)), key=lambda a: a.catalog_path):
        own = (assets_by_path or {}).get(dataset_id_of(asset))
        if own is None or is_column_asset(own):
            found[asset.catalog_path] = replace(asset, asset_type="column")
            continue
        found[asset.catalog_path] = replace(
            asset,
            asset_type="column",
            regulatory_tags=tuple(sorted({t.strip().lower() for t in (*asset.regulatory_tags, *own.regulatory_tags)})),
            classification=max((asset.classification, own.classification), key=classification_rank),
            steward=asset.steward or own.steward,
        )
    return found


def split_origins(
    origins: Sequence[Asset], assets_by_path: Mapping[str, Asset] | None = None
) -> tuple[dict[str, Asset], dict[str, Asset]]:
    """Split sensitive origins into table-level and column-level walks (see the module doc).

    Args:
        origins: from :func:`find_sensitive_origins`.
        assets_by_path: every registry asset by ``catalog_path``.

    Returns:
        ``(dataset origins, column origins)``: dataset id -> dataset asset for the datasets
        without sensitive columns (:func:`find_origin_datasets`), and column id -> column
        asset for every sensitive column (:func:`find_column_origins`).
    """
    refined = {dataset_id_of(a) for a in origins if is_column_asset(a)}
    table = [a for a in origins if not is_column_asset(a) and a.catalog_path not in refined]
    return find_origin_datasets(table, assets_by_path), find_column_origins(origins, assets_by_path)


def index_assets(assets: Iterable[Asset]) -> dict[str, Asset]:
    """Return ``catalog_path`` -> asset (a later asset with the same path wins)."""
    return {asset.catalog_path: asset for asset in assets}
