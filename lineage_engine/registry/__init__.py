"""Classification registry and service state (design §8): SQLAlchemy 2 + Alembic.

``Registry`` (repository.py) is the one entry point for the rest of the service;
``tables.py`` holds the schema, ``migrations/`` the Alembic revisions that create it,
``importer.py`` reads classification files written by compliance staff.
"""

from __future__ import annotations

from lineage_engine.errors import TransientRegistryError
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
