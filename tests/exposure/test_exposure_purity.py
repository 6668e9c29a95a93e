"""exposure/ stays pure: it imports only the stdlib and lineage_engine.model (style habit 1)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import lineage_engine.exposure as pkg

ALLOWED_INTERNAL = ("lineage_engine.model", "lineage_engine.exposure")


def test_exposure_imports_only_stdlib_and_model():
    offenders = []
    for path in sorted(Path(pkg.__file__).parent.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                assert node.level == 0, f"{path.name}: use absolute imports"
                names = [node.module or ""]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if name.startswith(ALLOWED_INTERNAL) or top == "__future__" or top in sys.stdlib_module_names:
                    continue
                offenders.append(f"{path.name}: {name}")
    assert offenders == []
