"""Classification registry and service state (design §8): SQLAlchemy 2 + Alembic.

``Registry`` (repository.py) is the one entry point for the rest of the service;
``tables.py`` holds the schema, ``migrations/`` the Alembic revisions that create it,
``importer.py`` reads classification files written by compliance staff.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lineage_engine.errors import TransientRegistryError
from lineage_engine.lazy import lazy_exports

# Each name is imported on first use: reading the registry (findings, quarantine) does not
# load Alembic, which only migrating needs (start-up; see lineage_engine/lazy.py).
__getattr__, __dir__ = lazy_exports(__name__, {
    "import_classifications": "importer",
    "load_classifications": "importer",
    "upgrade_registry": "migrate",
    "OutboxAlert": "records",
    "ScanOutcome": "records",
    "UpsertReport": "records",
    "Registry": "repository",
})

if TYPE_CHECKING:
    from lineage_engine.registry.importer import import_classifications, load_classifications
    from lineage_engine.registry.migrate import upgrade_registry
    from lineage_engine.registry.records import OutboxAlert, ScanOutcome, UpsertReport
    from lineage_engine.registry.repository import Registry

__all__ = [
    "OutboxAlert",
    "Registry",
    "ScanOutcome",
    "TransientRegistryError",
    "UpsertReport",
    "import_classifications",
    "load_classifications",
    "upgrade_registry",
]
