"""Locate files the package ships: saved traces, migrations, default config, sample.

In a wheel they live under ``lineage_engine/_bundled/`` (see ``pyproject.toml``
force-include); in a source checkout or editable install, at the repository root.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
_CANDIDATES = (_PACKAGE / "_bundled", _PACKAGE.parent)


def resource_path(relative: str) -> Path:
    """Return the absolute path of a shipped file or folder, e.g. ``cypher`` or ``config/sample``.

    Raises:
        FileNotFoundError: the resource is in neither location (a broken install).
    """
    for base in _CANDIDATES:
        candidate = base / relative
        if candidate.exists():
            return candidate
    raise FileNotFoundError(
        f"lineage-engine resource '{relative}' not found under {', '.join(map(str, _CANDIDATES))}; "
        "reinstall the package"
    )


def cypher_dir() -> Path:
    """Return the folder of saved traces (``cypher/*.cypher``)."""
    return resource_path("cypher")


def migrations_dir() -> Path:
    """Return the Alembic script folder (``migrations/``)."""
    return resource_path("migrations")


def sample_dir() -> Path:
    """Return the bundled sample workload folder (``config/sample``)."""
    return resource_path("config/sample")


def default_config_path() -> Path:
    """Return the shipped default ``lineage-engine.config.yaml``."""
    return resource_path("lineage-engine.config.yaml")
