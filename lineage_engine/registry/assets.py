"""Validation and upsert of classification-registry assets (design §8)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from lineage_engine.model import CLASSIFICATION_LEVELS, Asset, canonical_id, split_id
from lineage_engine.registry.records import UpsertReport, asset_from_row
from lineage_engine.registry.tables import ASSET_TYPES, AssetRow

PARTS_BY_TYPE = {"dataset": 3, "column": 4}
"""Dotted parts of a catalog path: ``db.schema.table`` and ``db.schema.table.column``."""

_CHUNK = 500


def normalize_tags(tags: Sequence[str]) -> tuple[str, ...]:
    """Return tags stripped, lower-cased, deduplicated and sorted; empty ones dropped."""
    return tuple(sorted({t.strip().lower() for t in tags if t and t.strip()}))


def quote_problem(text: str) -> str | None:
    """Return why the catalog path ``text`` (as written) cannot be read, or None: a double quote not closed."""
    if text.replace('""', "").count('"') % 2:
        return (f"catalog_path '{text.strip()}' has a double quote that is not closed; quote a name on both "
                'sides ("Customers"), with "" for a quote inside it')
    return None


def path_problem(path: str, asset_type: str | None) -> str | None:
    """Return why ``path`` is not a valid catalog path for ``asset_type``, or None if it is."""
    if not path:
        return "catalog_path is empty; give db.schema.table or db.schema.table.column"
    parts = split_id(path)
    if any(not p.strip() for p in parts) or len(parts) not in (3, 4):
        return (
            f"catalog_path '{path}' has {len(parts)} dotted part(s) or an empty part; give "
            "db.schema.table (dataset) or db.schema.table.column (column)"
        )
    if asset_type is not None and PARTS_BY_TYPE.get(asset_type) != len(parts):
        return (
            f"catalog_path '{path}' has {len(parts)} parts but asset_type is '{asset_type}'; a dataset "
            "has 3 parts, a column 4 (or leave asset_type out to infer it)"
        )
    return None


def normalize_asset(asset: Asset) -> Asset:
    """Return ``asset`` with its path in id form (:func:`~lineage_engine.model.canonical_id`), normalised tags, blank steward/policy as None.

    Raises:
        ValueError: unknown asset_type or classification, a bad path, or a naive reviewed_at.
    """
    problem = quote_problem(asset.catalog_path)
    if problem:
        raise ValueError(problem)
    path = canonical_id(asset.catalog_path)
    if asset.asset_type not in ASSET_TYPES:
        raise ValueError(f"asset '{path}': unknown asset_type '{asset.asset_type}'; use dataset or column")
    if asset.classification not in CLASSIFICATION_LEVELS:
        raise ValueError(
            f"asset '{path}': unknown classification '{asset.classification}'; "
            f"use one of {', '.join(CLASSIFICATION_LEVELS)}"
        )
    problem = path_problem(path, asset.asset_type)
    if problem:
        raise ValueError(problem)
    reviewed = asset.reviewed_at
    if reviewed is not None:
        if reviewed.tzinfo is None or reviewed.utcoffset() is None:
            raise ValueError(f"asset '{path}': reviewed_at must be timezone-aware (UTC)")
        reviewed = reviewed.astimezone(timezone.utc)
    return dataclasses.replace(
        asset,
        catalog_path=path,
        regulatory_tags=normalize_tags(asset.regulatory_tags),
        steward=(asset.steward or "").strip() or None,
        masking_policy=(asset.masking_policy or "").strip() or None,
        reviewed_at=reviewed,
    )


def normalize_assets(assets: Sequence[Asset]) -> list[Asset]:
    """Normalise every asset (see :func:`normalize_asset`); reject a path given twice.

    Raises:
        ValueError: an invalid asset or a duplicate path.
    """
    seen: set[str] = set()
    result = []
    for asset in assets:
        normalized = normalize_asset(asset)
        if normalized.catalog_path in seen:
            raise ValueError(f"asset '{normalized.catalog_path}' is given twice; keep one entry per path")
        seen.add(normalized.catalog_path)
        result.append(normalized)
    return result


def upsert(session: Session, assets: Sequence[Asset], now: datetime) -> UpsertReport:
    """Insert or update normalised ``assets`` by catalog_path in the caller's transaction."""
    created = updated = unchanged = 0
    for start in range(0, len(assets), _CHUNK):
        chunk = assets[start : start + _CHUNK]
        paths = [a.catalog_path for a in chunk]
        query = select(AssetRow).where(AssetRow.catalog_path.in_(paths))
        existing = {row.catalog_path: row for row in session.scalars(query)}
        for asset in chunk:
            row = existing.get(asset.catalog_path)
            if row is None:
                row = AssetRow(catalog_path=asset.catalog_path, created_at=now)
                session.add(row)
                created += 1
            elif asset_from_row(row) != asset:
                updated += 1
            else:
                unchanged += 1
                continue
            row.asset_type = asset.asset_type
            row.classification = asset.classification
            row.regulatory_tags = list(asset.regulatory_tags)
            row.steward = asset.steward
            row.masking_policy = asset.masking_policy
            row.reviewed_at = asset.reviewed_at
            row.updated_at = now
        session.flush()
    return UpsertReport(created=created, updated=updated, unchanged=unchanged)
