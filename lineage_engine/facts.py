"""Registry facts as of an instant: the one switch between today's facts and dated facts.

Every as-of answer (``scan --as-of``, the walk-answered traces) and the scan itself read the
registry's classifications, tags, stewards and masking policies through
:func:`registry_facts`, so one place decides which facts an instant sees.

The registry keeps facts with ``valid_from`` / ``valid_to`` (issue 10 §2): this function
asks for the facts of ``as_of`` (:meth:`Registry.facts_as_of`, README "Masking policies,
tags and time").
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from lineage_engine.carried_assets import carry_assets
from lineage_engine.model import Asset


def registry_facts(registry: Any, as_of: datetime) -> list[Asset]:
    """Return the registry assets that hold at ``as_of`` (aware UTC), by ``catalog_path``.

    Assets whose table (or schema, database) was renamed or swapped by ``as_of`` are also
    given at the names their content reached (:func:`lineage_engine.carried_assets.carry_assets`).

    Args:
        registry: a :class:`lineage_engine.registry.Registry` (read only).
        as_of: the instant; the facts holding then (imports, query history, ACCOUNT_USAGE).

    Raises:
        ValueError: ``as_of`` is naive.
        RegistryError: the registry could not be read.
    """
    if as_of.tzinfo is None or as_of.utcoffset() is None:
        raise ValueError("registry_facts needs an aware UTC 'as_of'")
    assets, _carried = carry_assets(registry.facts_as_of(as_of).assets(), registry.object_moves(as_of))
    return assets
