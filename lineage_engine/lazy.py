"""Package attributes imported on first use (PEP 562), so importing one submodule stays cheap.

A package ``__init__`` that re-exports names from its submodules imports all of them, and
with them their heavy dependencies (sqlglot, Alembic), whenever *any* submodule is imported:
``import lineage_engine.parsing.temp_names`` would parse sqlglot's grammar. With
:func:`lazy_exports` the package names stay importable (``from lineage_engine.parsing import
extract_lineage``) but each is imported when first asked for. Measured by
``benchmarks/cli_startup.py``; kept by ``tests/test_cli_imports.py``.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(package: str, exports: Mapping[str, str]) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """Return a package's ``__getattr__`` and ``__dir__`` for names imported on first use.

    Args:
        package: the package's ``__name__``.
        exports: exported name -> submodule (relative to the package) that defines it.

    The first access imports the submodule and stores the value in the package's namespace,
    so later lookups are plain attribute reads. An unknown name raises ``AttributeError``
    (which lets ``from package import submodule`` fall back to importing the submodule).
    """

    def __getattr__(name: str) -> Any:  # noqa: N807 - the module-level hook's name (PEP 562)
        submodule = exports.get(name)
        if submodule is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{submodule}"), name)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:  # noqa: N807
        return sorted(set(vars(sys.modules[package])) | set(exports))

    return __getattr__, __dir__
