"""Golden files: ``golden/NAME.sql`` is extracted and compared with ``golden/NAME.json``.

Regenerate after an intended change with ``UPDATE_GOLDENS=1 pytest tests/parsing`` and
review the JSON diff. A ``-- golden: database=DB schema=SCH`` first line sets the session
defaults (empty value = none); otherwise they are ``PROD_DB`` / ``RAW``.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

from lineage_engine.model import DatasetRef, ExtractionResult
from lineage_engine.parsing.extract import extract_lineage

GOLDEN = Path(__file__).parent / "golden"
CASES = sorted(GOLDEN.glob("*.sql"))
_HEADER = re.compile(r"--\s*golden:\s*database=(\S*)\s+schema=(\S*)\s*\n")


def test_enough_golden_shapes() -> None:
    assert len(CASES) >= 25


@pytest.mark.parametrize("sql_path", CASES, ids=[p.stem for p in CASES])
def test_golden(sql_path: Path) -> None:
    text = sql_path.read_text(encoding="utf-8")
    database, schema = "PROD_DB", "RAW"
    header = _HEADER.match(text)
    if header:
        database, schema = header.group(1) or None, header.group(2) or None
        text = text[header.end() :]
    actual = to_json(extract_lineage(text, default_database=database, default_schema=schema))
    expected_path = sql_path.with_suffix(".json")
    if os.environ.get("UPDATE_GOLDENS") == "1":
        expected_path.write_text(json.dumps(actual, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        return
    assert expected_path.exists(), f"missing {expected_path.name}: run with UPDATE_GOLDENS=1 and review it"
    expected = json.loads(expected_path.read_text(encoding="utf-8"))
    assert actual == expected


def to_json(result: ExtractionResult) -> dict[str, Any]:
    """Render an ExtractionResult as plain JSON (fingerprint left out: covered elsewhere)."""

    def ref(r: DatasetRef | None) -> dict[str, str] | None:
        return None if r is None else {"id": r.id, "name": r.name, "kind": r.kind}

    return {
        "statements": [
            {
                "index": s.index,
                "operation": s.operation.value,
                "target": ref(s.target),
                "sources": [ref(x) for x in s.sources],
                "replaces": s.replaces,
                "temporary": s.temporary,
                "counterpart": ref(s.counterpart),
            }
            for s in result.statements
        ],
        "problems": [
            {"code": p.code, "message": p.message, "statement_index": p.statement_index, "line": p.line,
             "column": p.column}
            for p in result.problems
        ],
        "confidence": result.confidence,
        "redacted_text": result.redacted_text,
    }
