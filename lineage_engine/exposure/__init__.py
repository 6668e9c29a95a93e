"""Exposure logic (design §7), pure: stdlib and :mod:`lineage_engine.model` only.

- :mod:`.origins`: which registry assets are sensitive origins.
- :mod:`.severity`: how urgent an exposure is, from ``compliance.risk_thresholds``.
- :mod:`.walk`: the time-respecting downstream walk: which datasets hold an origin's data
  as of an instant (the definition of "exposure as of T").
- :mod:`.column_walk`: the same from a sensitive column over column edges (``masked`` edges
  close a path; a hop without column lineage falls back to table level).
- :mod:`.paths`: which walk results (or ``unmasked_pii_paths`` trace rows) are exposure paths.
"""

from __future__ import annotations

from lineage_engine.exposure.column_walk import (
    ColumnHolding,
    ColumnIndex,
    build_column_index,
    find_column_holdings,
    walk_column_origin,
)
from lineage_engine.exposure.origins import (
    dataset_id_of,
    find_column_origins,
    find_origin_datasets,
    find_sensitive_origins,
    index_assets,
    split_origins,
)
from lineage_engine.exposure.paths import Coverage, find_exposure_paths, summarize_coverage
from lineage_engine.exposure.severity import DEFAULT_TAG_RISK_KEYS, SEVERITIES, severity_for
from lineage_engine.exposure.walk import EdgeIndex, Holding, build_edge_index, find_holdings, walk_origin

__all__ = [
    "DEFAULT_TAG_RISK_KEYS",
    "SEVERITIES",
    "ColumnHolding",
    "ColumnIndex",
    "Coverage",
    "EdgeIndex",
    "Holding",
    "build_column_index",
    "build_edge_index",
    "dataset_id_of",
    "find_column_holdings",
    "find_column_origins",
    "find_exposure_paths",
    "find_holdings",
    "find_origin_datasets",
    "find_sensitive_origins",
    "index_assets",
    "severity_for",
    "split_origins",
    "summarize_coverage",
    "walk_column_origin",
    "walk_origin",
]
