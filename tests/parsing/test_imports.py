"""Purity: parsing/, model.py and transform_lists.py import only the stdlib, sqlglot and the model.

Walks the import statements of every module (static, so a lazy import inside a function
is caught too) and checks each imported top-level name.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "lineage_engine"
PURE_MODULES = sorted((PACKAGE / "parsing").glob("*.py")) + [PACKAGE / "model.py", PACKAGE / "transform_lists.py",
                                                       PACKAGE / "lazy.py"]
LEAVES = ("lineage_engine.model", "lineage_engine.transform_lists",  # import nothing from the package
          "lineage_engine.lazy")  # stdlib only: names imported on first use (parsing/__init__)
IO_MODULES = {"os", "io", "socket", "subprocess", "shutil", "pathlib", "urllib", "http", "logging", "sqlite3",
              "tempfile", "time", "random", "threading", "multiprocessing", "asyncio", "requests"}


def imported_names(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative import: stays inside lineage_engine.parsing
                names.append("lineage_engine.parsing")
            elif node.module:
                names.append(node.module)
    return names


def allowed(name: str, module: Path) -> bool:
    top = name.split(".")[0]
    if name in LEAVES or name.startswith("lineage_engine.parsing"):
        return module.parent.name == "parsing" or name in LEAVES
    if top == "sqlglot" or top == "__future__":
        return True
    return top in sys.stdlib_module_names and top not in IO_MODULES


@pytest.mark.parametrize("module", PURE_MODULES, ids=[p.name for p in PURE_MODULES])
def test_module_imports_only_stdlib_sqlglot_and_model(module: Path) -> None:
    bad = [name for name in imported_names(module) if not allowed(name, module)]
    assert bad == [], f"{module.name} imports {bad}"


@pytest.mark.parametrize("leaf", ["model.py", "transform_lists.py", "lazy.py"])
def test_model_imports_nothing_from_the_package(leaf: str) -> None:
    assert not [n for n in imported_names(PACKAGE / leaf) if n.startswith("lineage_engine")]


def test_the_walk_sees_every_parsing_module() -> None:
    assert {p.stem for p in PURE_MODULES} >= {"extract", "normalize", "redact", "filter", "temp_tables", "model"}
