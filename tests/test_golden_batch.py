"""Batch goldens: ``golden_batch/NAME.sql`` run as one ``lineage extract`` case vs ``NAME.json``.

The case is what a corpus line would hold: the SQL, and header lines ``-- dialect: NAME``,
``-- defaults: DATABASE SCHEMA`` (``-`` for none) and ``-- schema: {JSON object}`` (keys as
the corpus writes them, in the case's dialect). The expected file is the output line
(:func:`lineage_engine.batch.extract_case`): targets, sources, column lineage (``<select>``
for a plain SELECT), operations and problems. Regenerate after an intended change with
``UPDATE_GOLDENS=1 pytest tests/test_golden_batch.py`` and review the diff.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from lineage_engine.batch import extract_case

GOLDEN = Path(__file__).parent / "golden_batch"
CASES = sorted(GOLDEN.glob("*.sql"))
_HEADER = re.compile(r"--\s*(dialect|defaults|schema):\s*(.*?)\s*\n")


def load_case(path: Path) -> dict[str, object]:
    """Return the corpus-shaped case a golden ``.sql`` file describes."""
    text = path.read_text(encoding="utf-8")
    case: dict[str, object] = {"id": path.stem}
    while (header := _HEADER.match(text)) is not None:
        key, value = header.groups()
        if key == "dialect":
            case["dialect"] = value
        elif key == "schema":
            case["schema"] = json.loads(value)
        else:
            database, schema = (None if v == "-" else v for v in value.split())
            case["default_database"], case["default_schema"] = database, schema
        text = text[header.end():]
    case["sql"] = text
    return case


def test_batch_goldens_exist() -> None:
    assert len(CASES) >= 3


@pytest.mark.parametrize("sql_path", CASES, ids=[p.stem for p in CASES])
def test_golden_batch(sql_path: Path) -> None:
    actual = extract_case(load_case(sql_path), position=sql_path.name)
    expected_path = sql_path.with_suffix(".json")
    if os.environ.get("UPDATE_GOLDENS") == "1":
        expected_path.write_text(json.dumps(actual, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        return
    assert expected_path.exists(), f"missing {expected_path.name}: run with UPDATE_GOLDENS=1 and review it"
    assert actual == json.loads(expected_path.read_text(encoding="utf-8"))
