"""ACCESS_HISTORY lineage: read Snowflake's record of a statement, and let it win over parsing.

Pure: no I/O. Facts from ``shared/reference/snowflake-query-history.md`` §3 (citing
docs.snowflake.com/en/sql-reference/account-usage/access_history):

* ``objects_modified``: the objects a statement wrote; each column lists ``directSources``
  (``{objectDomain, objectName, columnName}``), the column lineage. Recorded for CTAS,
  CLONE, INSERT ... SELECT, MERGE, UPDATE and RENAME; not for CREATE VIEW.
* ``direct_objects_accessed``: the objects named in the SQL (views stay views), including
  those read only by filters and joins: the table-level upstreams, as the parser reports.
* ``objectName`` is fully qualified, quoted parts stay quoted; ``objectDomain`` casing varies.
* Oversized records are truncated: numbers become ``-1``, strings ``"TRUNCATED"``, last
  resort a ``{objectDomain: "TRUNCATED", objectId: -1}`` sentinel. Such a record says
  "lineage unknown": :func:`apply_access_lineage` then keeps the parsed lineage.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from lineage_engine.model import (
    AccessLineage,
    AccessWrite,
    ColumnLineage,
    DatasetRef,
    ExtractionResult,
    Operation,
    StatementLineage,
    column_id,
)
from lineage_engine.parsing.normalize import NameContext, qualified_ref, split_dotted_name
from lineage_engine.parsing.result_scan import is_result_read

TRUNCATED = "TRUNCATED"
_KINDS = {"table": "table", "view": "view", "materialized view": "view", "secure view": "view",
          "external table": "external", "stage": "stage", "dynamic table": "table"}
"""objectDomain (lower-cased) -> DatasetRef kind; other domains (functions, procedures,
streams) are not datasets and are skipped."""
_OPERATIONS = {
    "CREATE_TABLE_AS_SELECT": (Operation.CREATE, True),
    "CREATE_TABLE": (Operation.CLONE, True),
    "INSERT": (Operation.INSERT, False),
    "MULTI_TABLE_INSERT": (Operation.INSERT, False),
    "MERGE": (Operation.MERGE, False),
    "UPDATE": (Operation.UPDATE, False),
    "DELETE": (Operation.DELETE, False),
    "COPY": (Operation.COPY, False),
    "UNLOAD": (Operation.UNLOAD, False),
    "TRUNCATE_TABLE": (Operation.TRUNCATE, True),
}
"""How to apply a write the parser did not see (text unparsable or cut at 100K characters)."""
_KEEP_PARSED = frozenset({Operation.DROP, Operation.RENAME, Operation.SWAP, Operation.TRUNCATE, Operation.UNDROP})
"""Parsed operations ACCESS_HISTORY never overrides: they move identity or empty a table."""


class _Truncated(Exception):
    pass


TruncatedRecord = _Truncated
"""Raised by :func:`dataset_from_object` on a truncation marker (public name, issue 14)."""


def json_value(value: Any) -> Any:
    """Return a VARIANT value: parsed when it comes as JSON text (None when that text is not JSON)."""
    return _json(value)


def _json(value: Any) -> Any:
    if isinstance(value, (str, bytes)):
        try:
            return json.loads(value)
        except ValueError:
            return None
    return value


def _check(value: Any) -> Any:
    if value == TRUNCATED or value == -1:
        raise _Truncated
    return value


def dataset_from_object(obj: Mapping[str, Any]) -> DatasetRef | None:
    """Return the dataset an ACCESS_HISTORY object names, or None when it is not a dataset.

    Raises:
        _Truncated: the object carries a truncation marker.
    """
    domain = str(_check(obj.get("objectDomain")) or "").strip().lower()
    if domain == TRUNCATED.lower():
        raise _Truncated
    kind = _KINDS.get(domain)
    name = obj.get("objectName")
    if kind is None or not isinstance(name, str):
        return None
    _check(name)
    _check(obj.get("objectId"))
    parts = split_dotted_name(name)
    if parts is None:
        return None
    ref, _ = qualified_ref(parts, NameContext(), kind)
    if ref is None or len(ref.parts) != 3:
        return None
    if kind == "stage":
        ref = DatasetRef(id=f"@{ref.id}", name=f"@{ref.name}", kind="stage")
    return ref


def access_lineage_from_row(objects_modified: Any, direct_objects_accessed: Any) -> AccessLineage:
    """Build the lineage of one ACCESS_HISTORY row (VARIANT columns as JSON text or values).

    Returns:
        One :class:`AccessWrite` per written dataset, in record order; ``truncated`` set
        (and no writes) when any part of the record was cut.
    """
    try:
        modified = _json(objects_modified) or []
        accessed = _json(direct_objects_accessed) or []
        if not isinstance(modified, list) or not isinstance(accessed, list):
            return AccessLineage()
        read = _unique(r for r in (dataset_from_object(o) for o in accessed if isinstance(o, Mapping)) if r)
        writes: list[AccessWrite] = []
        for obj in modified:
            if not isinstance(obj, Mapping):
                continue
            target = dataset_from_object(obj)
            if target is None:
                continue
            columns, direct = _column_lineage(target, obj.get("columns") or [])
            writes.append(AccessWrite(target=target, sources=tuple(direct), columns=tuple(columns)))
    except _Truncated:
        return AccessLineage(truncated=True)
    if len(writes) == 1:  # one target: every object the SQL named is its upstream
        # A target the statement also read (INSERT OVERWRITE t ... FROM t) stays a source, as
        # in parsed lineage: the graph then keeps t's earlier upstreams and stores no self-loop.
        only = writes[0]
        writes = [replace(only, sources=tuple(_unique([*only.sources, *read])))]
    return AccessLineage(writes=tuple(writes))


def _column_lineage(target: DatasetRef, columns: Iterable[Any]) -> tuple[list[ColumnLineage], list[DatasetRef]]:
    edges: list[ColumnLineage] = []
    upstreams: list[DatasetRef] = []
    for column in columns:
        if not isinstance(column, Mapping):
            continue
        name = _check(column.get("columnName"))
        for source in column.get("directSources") or []:
            if not isinstance(source, Mapping):
                continue
            ref = dataset_from_object(source)
            source_column = _check(source.get("columnName"))
            if ref is None or not isinstance(source_column, str) or not isinstance(name, str):
                continue
            upstreams.append(ref)
            edges.append(ColumnLineage(source=column_id(ref.id, source_column.lower()),
                                       target=column_id(target.id, name.lower()), transform="expression"))
    return list(dict.fromkeys(edges)), _unique(upstreams)


def _unique(refs: Iterable[DatasetRef]) -> list[DatasetRef]:
    seen: dict[str, DatasetRef] = {}
    for ref in refs:
        seen.setdefault(ref.id, ref)
    return list(seen.values())


def merge_access_lineage(first: AccessLineage | None, second: AccessLineage) -> AccessLineage:
    """Combine two records of one query id (SWAP writes two); truncation is contagious."""
    if first is None:
        return second
    if first.truncated or second.truncated:
        return AccessLineage(truncated=True)
    return AccessLineage(writes=first.writes + second.writes)


def apply_access_lineage(
    result: ExtractionResult, lineage: AccessLineage | None, query_type: str
) -> tuple[ExtractionResult, frozenset[str]]:
    """Let ACCESS_HISTORY win over the parsed lineage of the targets it records.

    A parsed statement whose target ACCESS_HISTORY records keeps its operation, ``replaces``
    and ``temporary`` flags (the text says CREATE OR REPLACE; the record does not) and takes
    the record's sources and column lineage (a parsed column edge of the same pair keeps
    its ``transform``; others are ``expression``); a record without column lineage (a stage
    written by an unload) leaves the parsed column edges. A recorded target the parser did
    not see (text cut or unparsable) is added with the operation its query type implies.
    A parsed ``RESULT_SCAN`` read (:func:`~lineage_engine.parsing.result_scan.is_result_read`) and
    its column edges stay beside the record's: a result set is not an object, so ACCESS_HISTORY
    names no source for it (review s15 Q2: the copy vanished, neither followed nor quarantined).
    Targets only the parser saw, truncated or empty records, and identity or emptying
    statements (DROP, RENAME, SWAP, TRUNCATE: nothing is derived) keep the parsed lineage;
    an unparsed TRUNCATE_TABLE derives from nothing.

    Returns:
        ``(result, target ids whose lineage came from ACCESS_HISTORY)``.
    """
    if lineage is None or lineage.truncated or not lineage.writes:
        return result, frozenset()
    writes = {w.target.id: w for w in lineage.writes}
    statements: list[StatementLineage] = []
    used: set[str] = set()
    for statement in result.statements:
        write = writes.get(statement.target.id) if statement.target is not None else None
        if write is None or statement.operation in _KEEP_PARSED:
            statements.append(statement)
            continue
        transforms = {(c.source, c.target): c.transform for c in statement.columns}
        columns = tuple(replace(c, transform=transforms.get((c.source, c.target), c.transform)) for c in write.columns)
        # A result set is not an object: ACCESS_HISTORY cannot name a RESULT_SCAN read; the parsed one stays
        results = tuple(s for s in statement.sources if is_result_read(s.id))
        result_columns = tuple(c for c in statement.columns if is_result_read(c.source))
        sources = (*write.sources, *(r for r in results if r not in write.sources))
        columns = (*columns, *(c for c in result_columns if c not in columns)) if columns else statement.columns
        statements.append(replace(statement, sources=sources, columns=columns))
        used.add(write.target.id)
    operation, replaces = _OPERATIONS.get(query_type.upper(), (Operation.INSERT, False))
    for target_id, write in writes.items():
        if target_id not in used and not any(s.target is not None and s.target.id == target_id for s in statements):
            emptied = operation is Operation.TRUNCATE  # the record lists the table it emptied, nothing flowed
            statements.append(StatementLineage(operation=operation, target=write.target,
                                               sources=() if emptied else write.sources, replaces=replaces,
                                               columns=() if emptied else write.columns, index=len(statements)))
            used.add(target_id)
    return replace(result, statements=tuple(statements)), frozenset(used)
