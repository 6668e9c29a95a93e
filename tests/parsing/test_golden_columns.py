"""Column goldens: ``golden_columns/NAME.sql`` extracted with ``columns=True`` vs ``NAME.json``.

Regenerate after an intended change with ``UPDATE_GOLDENS=1 pytest tests/parsing`` and
review the JSON diff. Session defaults are ``PROD_DB`` / ``RAW``, dialect snowflake.
Optional header lines: ``-- schema: {JSON object id -> [columns]}`` hands the extractor a
:class:`MappingSchemaProvider`; ``-- dialect: NAME`` changes the dialect; ``-- queries: true``
also extracts plain SELECTs (``<select>`` columns) and ALTER operations, as ``lineage extract``.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

from lineage_engine.model import ExtractionResult
from lineage_engine.parsing.extract import extract_lineage
from lineage_engine.parsing.schema import MappingSchemaProvider

GOLDEN = Path(__file__).parent / "golden_columns"
CASES = sorted(GOLDEN.glob("*.sql"))
_SCHEMA = re.compile(r"--\s*schema:\s*(\{.*\})\s*\n")
_DIALECT = re.compile(r"--\s*dialect:\s*(\S*)\s*\n")
_QUERIES = re.compile(r"--\s*queries:\s*(true|false)\s*\n")


def test_enough_column_shapes() -> None:
    assert len(CASES) >= 20


@pytest.mark.parametrize("sql_path", CASES, ids=[p.stem for p in CASES])
def test_golden_columns(sql_path: Path) -> None:
    text = sql_path.read_text(encoding="utf-8")
    schema, dialect, queries = None, "snowflake", False
    while True:
        header = _SCHEMA.match(text) or _DIALECT.match(text) or _QUERIES.match(text)
        if header is None:
            break
        if header.re is _SCHEMA:
            schema = MappingSchemaProvider(json.loads(header.group(1)))
        elif header.re is _QUERIES:
            queries = header.group(1) == "true"
        else:
            dialect = header.group(1)
        text = text[header.end() :]
    result = extract_lineage(
        text, dialect=dialect, default_database="PROD_DB", default_schema="RAW", columns=True, schema=schema,
        queries=queries,
    )
    actual = to_json(result)
    expected_path = sql_path.with_suffix(".json")
    if os.environ.get("UPDATE_GOLDENS") == "1":
        expected_path.write_text(json.dumps(actual, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        return
    assert expected_path.exists(), f"missing {expected_path.name}: run with UPDATE_GOLDENS=1 and review it"
    assert actual == json.loads(expected_path.read_text(encoding="utf-8"))


def to_json(result: ExtractionResult) -> dict[str, Any]:
    """Render the column-relevant part of a result; one edge per line reads well in a diff."""
    return {
        "statements": [
            {
                "index": s.index,
                "operation": s.operation.value,
                "target": s.target.id if s.target else None,
                "sources": [x.id for x in s.sources],
                "columns": [
                    f"{c.target} <- {c.source} [{c.kind} {c.transform}"
                    + (f" {c.confidence}" if c.confidence != 1.0 else "") + "]"
                    for c in s.columns
                ],
            }
            for s in result.statements
        ],
        "problems": [p.code for p in result.problems],
        "confidence": result.confidence,
    }
