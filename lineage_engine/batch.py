"""Batch lineage extraction for SQL corpora: JSON Lines in, JSON Lines out (issue 5).

``lineage-engine lineage extract --input CASES.jsonl --output PREDICTIONS.jsonl``

Input line: ``{"id", "sql", "dialect" (a sqlglot dialect name, ``ansi`` for sqlglot's
generic one; default snowflake),
"default_database", "default_schema", "schema" (optional ``{"db.schema.table": [column,
...]}``)}``; other fields are ignored. Output line, one per non-blank input line, in
input order::

    {"id", "targets": [...], "sources": [...],
     "column_lineage": [{"source", "target", "transform", "kind", "confidence"}],
     "operations": [{"index", "operation", "target", "counterpart"}],
     "problems": [{"code", "message", "statement_index", "line", "column"}],
     "confidence"}

Names are canonical ids: lower case, qualified with the defaults when given, stages as
``@db.schema.stage``; column ids are ``<dataset id>.<column>`` (a part holding a dot is
double-quoted, the quoting rule of :mod:`lineage_engine.model`). A case's ``sql`` is one
script: objects created and consumed inside it drop out, for tables and columns (see
:mod:`lineage_engine.parsing.script`). A plain SELECT's output columns are column lineage
into the pseudo-dataset ``<select>`` (``<select>.total <- db.s.orders.amount``), never a
target. ``operations`` lists every statement the extractor understood, in text order, with
its operation (``create``, ``insert``, ``query``, ``drop``, ``alter``, ``rename`` ...),
target and counterpart (RENAME's new name, SWAP's other side): DROP and ALTER appear there
and nowhere else (they move no data).

Schema keys are table names in the case's dialect (BigQuery ``my-project.ds.t`` or
backticks, T-SQL brackets, quoted parts, four or more parts), parsed with sqlglot and
qualified with the defaults like table names in the SQL. A key that cannot be parsed, or
an entry whose value is not a list of column names, is a ``bad_schema`` problem on the
case, and the rest of the schema still applies; the case is never skipped for its schema.

A line that is not a JSON object, lacks ``sql`` or names an unknown dialect gives an output
line with a ``bad_input`` problem naming the file and line; an unexpected failure of the
extractor itself gives ``internal_error`` the same way; the run goes on. Problem messages
never quote SQL.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, TextIO

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import SqlglotError

from lineage_engine.model import DatasetRef, Problem, StatementLineage
from lineage_engine.parsing.extract import extract_lineage
from lineage_engine.parsing.normalize import NameContext, table_ref
from lineage_engine.parsing.result_scan import MESSAGE as RESULT_SCAN_MESSAGE
from lineage_engine.parsing.result_scan import is_result_read
from lineage_engine.parsing.schema import MappingSchemaProvider
from lineage_engine.parsing.script import collapse_script

DEFAULT_DIALECT = "snowflake"
GENERIC_DIALECTS = {"ansi": "", "": ""}
"""Names of sqlglot's generic (ANSI-leaning) dialect, whose own name is the empty string."""


def extract_cases(lines: Iterable[str], *, source_name: str = "<input>") -> Iterator[dict[str, Any]]:
    """Yield one prediction per non-blank input line, in input order.

    Args:
        lines: JSON Lines text, one case per line (a file object works).
        source_name: file name used in ``bad_input`` problems (``name:line``).

    Yields:
        Output dicts of the shape in the module docstring; never raises for bad input.
    """
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        position = f"{source_name}:{number}"
        try:
            case = json.loads(line)
        except ValueError as error:
            yield _bad(None, position, f"not valid JSON ({type(error).__name__} at column {getattr(error, 'colno', '?')})")
            continue
        yield extract_case(case, position=position)


def extract_case(case: Any, *, position: str = "<case>") -> dict[str, Any]:
    """Return the prediction for one decoded input case.

    Args:
        case: the decoded JSON value of one input line.
        position: ``file:line`` for problems about the case itself.

    Returns:
        One output dict (module docstring); a ``bad_input`` problem instead of raising.
    """
    if not isinstance(case, Mapping):
        return _bad(None, position, "the line is not a JSON object")
    case_id = case.get("id")
    sql = case.get("sql")
    if not isinstance(sql, str):
        return _bad(case_id, position, "field 'sql' is missing or not a string")
    dialect = case.get("dialect")
    dialect = DEFAULT_DIALECT if dialect is None else GENERIC_DIALECTS.get(dialect, dialect)
    database, schema_name = case.get("default_database"), case.get("default_schema")
    if not all(v is None or isinstance(v, str) for v in (dialect, database, schema_name)):
        return _bad(case_id, position, "fields 'dialect', 'default_database' and 'default_schema' must be strings")
    context = NameContext(database=database, schema=schema_name, dialect=dialect.lower())
    try:
        schema, schema_problems = _schema(case.get("schema"), context)
    except ValueError:
        return _bad(case_id, position, "field 'dialect' is not a sqlglot dialect name")
    try:
        result = extract_lineage(
            sql, dialect=dialect, default_database=database, default_schema=schema_name,
            columns=True, schema=schema, queries=True,
        )
        script = collapse_script(result.statements)
        session = _session_reads(result.statements)
    except ValueError:
        return _bad(case_id, position, "field 'dialect' is not a sqlglot dialect name")
    except Exception as error:  # noqa: BLE001 - a defect must cost one case, not the run
        return _bad(case_id, position, f"extraction failed ({type(error).__name__}); please report it",
                    code="internal_error")
    return {
        "id": case_id,
        "targets": [ref.id for ref in script.targets],
        "sources": [ref.id for ref in script.sources],
        "column_lineage": [
            {"source": e.source, "target": e.target, "transform": e.transform, "kind": e.kind,
             "confidence": e.confidence}
            for e in script.columns
        ],
        "operations": [
            {"index": st.index, "operation": st.operation.value, "target": st.target.id if st.target else None,
             "counterpart": st.counterpart.id if st.counterpart else None}
            for st in result.statements
        ],
        "problems": [_problem(p) for p in (*schema_problems, *result.problems, *session)],
        "confidence": min(result.confidence, 0.7 if schema_problems else 1.0, 0.3 if session else 1.0),
    }


def _session_reads(statements: Iterable[StatementLineage]) -> list[Problem]:
    """Return an ``unsupported`` problem per statement reading ``RESULT_SCAN`` (an earlier query's result set).

    Only a crawl knows the session and its earlier queries (review O2,
    :mod:`lineage_engine.parsing.result_scan`); here the read stays a ``#$result:...`` source whose
    upstreams are not known, and the case says so.
    """
    return [Problem("unsupported", RESULT_SCAN_MESSAGE + "; only a crawl, which reads the session's queries, "
                    "follows it", statement_index=st.index)
            for st in statements if any(is_result_read(s.id) for s in st.sources)]


def _schema(raw: Any, context: NameContext) -> tuple[MappingSchemaProvider | None, list[Problem]]:
    """Parse the case's schema keys as table names of its dialect, qualified with its defaults.

    Returns:
        ``(provider or None, problems)``: one ``bad_schema`` problem per entry left out
        (a key that is not a table name, a value that is not a list of strings), or one
        for a schema that is not an object; the other entries still apply.

    Raises:
        ValueError: the context's dialect is not a sqlglot dialect.
    """
    if raw is None:
        return None, []
    if not isinstance(raw, Mapping):
        return None, [_schema_problem("field 'schema' is not an object of dataset name -> list of column names; "
                                      "the case was extracted without a schema")]
    engine = Dialect.get_or_raise(context.dialect)
    mapping: dict[str, list[str]] = {}
    problems: list[Problem] = []
    for number, (key, columns) in enumerate(raw.items(), start=1):
        if not isinstance(columns, list) or not all(isinstance(c, str) for c in columns):
            problems.append(_schema_problem(f"schema entry {number}: the value is not a list of column names; "
                                            "the entry was left out"))
            continue
        ref = _schema_key(key, engine, context)
        if ref is None:
            problems.append(_schema_problem(f"schema entry {number}: the key is not a table name in this dialect; "
                                            "the entry was left out"))
            continue
        mapping[ref.id] = columns
    return MappingSchemaProvider(mapping), problems


def _schema_key(key: Any, engine: Dialect, context: NameContext) -> DatasetRef | None:
    """Return the dataset a schema key names (parsed by sqlglot in the case's dialect), or None."""
    if not isinstance(key, str) or not key.strip():
        return None
    try:
        table = exp.to_table(key.strip(), dialect=engine)
    except (SqlglotError, ValueError, TypeError):
        return None
    ref, _problem = table_ref(table, context) if isinstance(table, exp.Table) else (None, None)
    return ref


def _schema_problem(message: str) -> Problem:
    return Problem(code="bad_schema", message=message)


def _problem(problem: Problem) -> dict[str, Any]:
    return {"code": problem.code, "message": problem.message, "statement_index": problem.statement_index,
            "line": problem.line, "column": problem.column}


def _bad(case_id: Any, position: str, reason: str, *, code: str = "bad_input") -> dict[str, Any]:
    problem = {"code": code, "message": f"{position}: {reason}; the case was skipped",
               "statement_index": None, "line": None, "column": None}
    return {"id": case_id if isinstance(case_id, (str, int)) else None, "targets": [], "sources": [],
            "column_lineage": [], "operations": [], "problems": [problem], "confidence": 0.0}


def extract_file(input_path: Path, sink: TextIO) -> tuple[int, int]:
    """Extract every case of a JSON Lines file into predictions (``lineage extract``).

    Args:
        input_path: cases, one JSON object per line (UTF-8).
        sink: where the predictions go, one JSON line per case, in input order.

    Returns:
        ``(cases written, bad input lines)``.

    Raises:
        OSError: the input cannot be read or the sink not written.
    """
    cases = bad = 0
    with input_path.open(encoding="utf-8") as source:
        for prediction in extract_cases(source, source_name=input_path.name):
            cases += 1
            bad += any(p["code"] == "bad_input" for p in prediction["problems"])
            sink.write(json.dumps(prediction, ensure_ascii=False) + "\n")
    return cases, bad
