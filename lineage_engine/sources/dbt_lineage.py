"""dbt artifacts -> lineage events with ``provenance: dbt`` (issue 16). Pure: no I/O.

One event per relation that the run in ``run_results.json`` built successfully (a model, seed
or snapshot whose ``status`` is ``success``): a failed, skipped or not-selected node opens no
edge and closes none. The event is dated at the node's ``execute`` step ``completed_at``
(UTC), its query id is ``<unique_id>@<invocation_id>`` and its query type ``DBT_<MATERIALIZED>``.

- **Datasets** are named as the warehouse sees them: ``database.schema.alias`` (sources:
  ``identifier``), lower-cased into our ids like every other dataset, so a dbt model and the
  query history's CTAS of the same relation are one node. Ephemeral models are no dataset:
  they are inlined as CTEs, and a model reading one derives from what the ephemeral reads.
- **Dataset edges**: the model's ``depends_on.nodes`` (refs and sources, through ephemeral
  models), plus any relation the compiled SQL names without a ``ref`` (over-report, never under).
- **Column edges**: the compiled SQL is read by the same extractor as the query history, as
  ``CREATE OR REPLACE TABLE <relation> AS <compiled SQL>``, with the catalog's columns as the
  schema (``SELECT *`` expands, unqualified columns resolve); transforms (masked, partial ...)
  follow the same rules. Compiled SQL that does not parse keeps the dataset edges and is
  quarantined with the parser's reason (never its text).
- **Time**: ``table``, ``view`` and seeds replace the relation (the model's dbt edges it no
  longer derives close); ``incremental`` (unless the run was ``--full-refresh``) and snapshots
  add rows (nothing closes), like INSERT and MERGE in the query history.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any

from lineage_engine.model import (
    ColumnLineage, DatasetRef, ExtractionResult, LineageEvent, Operation, QuarantineEntry, QueryRecord,
)
from lineage_engine.parsing.schema import MappingSchemaProvider, SchemaProvider
from lineage_engine.sources.dbt_artifacts import DbtArtifacts

PROVENANCE = "dbt"
BUILT_TYPES = frozenset({"model", "seed", "snapshot"})
ADAPTER_DIALECTS = {
    "snowflake": "snowflake", "duckdb": "duckdb", "bigquery": "bigquery", "postgres": "postgres",
    "redshift": "redshift", "databricks": "databricks", "spark": "spark", "trino": "trino", "athena": "athena",
    "sqlserver": "tsql", "fabric": "tsql", "synapse": "tsql", "clickhouse": "clickhouse", "oracle": "oracle",
    "mysql": "mysql", "teradata": "teradata",
}
"""dbt ``adapter_type`` -> sqlglot dialect; any other adapter uses the configured dialect."""

Extract = Callable[[QueryRecord, SchemaProvider], ExtractionResult]
"""Reads one synthetic statement (the crawl's extractor with its options bound)."""
Quarantine = Callable[[QueryRecord, ExtractionResult], QuarantineEntry | None]


@dataclass
class DbtLineage:
    """What one run's artifacts give.

    Attributes:
        events: in ``(at, query_id)`` order, ``provenance`` ``dbt``.
        quarantine: compiled SQL that did not parse (dataset edges kept).
        built: relations built (events); ``not_built``: status -> count of nodes that
            failed, were skipped, or errored (no event).
        failed: unique ids of nodes whose status was ``error`` or ``fail``, sorted.
        run_at: the run's ``generated_at`` (UTC); ``invocation_id``: its id.
    """

    events: list[LineageEvent] = field(default_factory=list)
    quarantine: list[QuarantineEntry] = field(default_factory=list)
    built: int = 0
    parsed: int = 0
    not_built: Counter[str] = field(default_factory=Counter)
    failed: list[str] = field(default_factory=list)
    run_at: datetime | None = None
    invocation_id: str = ""


def dialect_of(artifacts: DbtArtifacts, default: str) -> str:
    """Return the sqlglot dialect of the project's adapter, ``default`` for an unknown adapter."""
    return ADAPTER_DIALECTS.get(artifacts.adapter_type.lower(), default)


def relation_of(entry: dict[str, Any]) -> DatasetRef | None:
    """Return the relation a manifest node or source names (None for ephemeral models and
    nodes without a name). Kind ``view`` for view models, else ``table``."""
    config = entry.get("config") or {}
    if config.get("materialized") == "ephemeral":
        return None
    name = entry.get("alias") or entry.get("identifier") or entry.get("name")
    parts = [str(p) for p in (entry.get("database"), entry.get("schema"), name) if p]
    if not name or not parts:
        return None
    kind = "view" if config.get("materialized") == "view" else "table"
    return DatasetRef.of(parts, display=parts, kind=kind)


def upstreams_of(unique_id: str, artifacts: DbtArtifacts) -> list[DatasetRef]:
    """Return the relations ``unique_id`` depends on, through ephemeral models, in manifest order."""
    out: dict[str, DatasetRef] = {}
    seen: set[str] = set()

    def visit(node_id: str) -> None:
        node = artifacts.nodes.get(node_id) or {}
        for parent in (node.get("depends_on") or {}).get("nodes") or ():
            if parent in seen:
                continue
            seen.add(parent)
            entry = artifacts.nodes.get(parent) or artifacts.sources.get(parent)
            if entry is None or entry.get("resource_type") not in (*BUILT_TYPES, "source"):
                continue
            ref = relation_of(entry)
            if ref is None:  # ephemeral: what it reads
                visit(parent)
            elif ref.id not in out:
                out[ref.id] = ref

    visit(unique_id)
    return list(out.values())


def catalog_schema(artifacts: DbtArtifacts) -> MappingSchemaProvider:
    """Return the catalog's columns per dataset id (the schema compiled SQL is read against)."""
    mapping: dict[str, Sequence[str]] = {}
    for unique_id, columns in artifacts.catalog_columns.items():
        entry = artifacts.nodes.get(unique_id) or artifacts.sources.get(unique_id)
        ref = relation_of(entry) if entry is not None else None
        if ref is not None and columns:
            mapping[ref.id] = columns
    return MappingSchemaProvider(mapping)


def parse_time(text: object) -> datetime | None:
    """Return an ISO 8601 artifact time as aware UTC (dbt writes ``...Z``), None when absent or bad."""
    if not isinstance(text, str) or not text:
        return None
    try:
        at = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return at.replace(tzinfo=timezone.utc) if at.tzinfo is None else at.astimezone(timezone.utc)


def completed_at(result: dict[str, Any], fallback: datetime) -> datetime:
    """Return when a run result's relation was built: its ``execute`` step's end, else the last step's."""
    steps = result.get("timing") or []
    execute = [s for s in steps if s.get("name") == "execute"] or steps
    for step in reversed(execute):
        at = parse_time(step.get("completed_at"))
        if at is not None:
            return at
    return fallback


def dbt_lineage(artifacts: DbtArtifacts, source_key: str, extract: Extract, quarantine: Quarantine) -> DbtLineage:
    """Return the lineage events of the run in ``artifacts`` (none when it built nothing).

    Args:
        artifacts: a loaded target folder (:func:`~lineage_engine.sources.dbt_artifacts.load_dbt_artifacts`).
        source_key: the dbt source's key (quarantine entries name it).
        extract: reads a synthetic ``QueryRecord`` against a schema (the crawl's extractor).
        quarantine: the crawl's rule for statements it could not understand.
    """
    out = DbtLineage()
    run = artifacts.run or {}
    metadata = run.get("metadata") or {}
    out.invocation_id = str(metadata.get("invocation_id") or "")
    out.run_at = parse_time(metadata.get("generated_at"))
    if not artifacts.executed or out.run_at is None:
        return out
    full_refresh = bool((run.get("args") or {}).get("full_refresh"))
    schema = catalog_schema(artifacts)
    for result in run.get("results") or ():
        unique_id = str(result.get("unique_id") or "")
        node = artifacts.nodes.get(unique_id)
        if node is None or node.get("resource_type") not in BUILT_TYPES:
            continue  # tests, hooks, operations
        target = relation_of(node)
        if target is None:
            continue  # ephemeral
        status = str(result.get("status") or "unknown").lower()
        if status != "success":
            out.not_built[status] += 1
            if status in ("error", "fail", "runtime error"):
                out.failed.append(unique_id)
            continue
        at = completed_at(result, out.run_at)
        materialized = str((node.get("config") or {}).get("materialized") or node.get("resource_type"))
        operation, replaces = _operation(node.get("resource_type"), materialized, full_refresh)
        record = QueryRecord(
            query_id=f"{unique_id}@{out.invocation_id}", query_text="", query_type=f"DBT_{materialized.upper()}",
            start_time=at, end_time=at, database_name=node.get("database"), schema_name=node.get("schema"),
            position=unique_id)
        sources = upstreams_of(unique_id, artifacts)
        columns: tuple[ColumnLineage, ...] = ()
        code = result.get("compiled_code") or node.get("compiled_code")
        if isinstance(code, str) and code.strip() and node.get("resource_type") != "seed":
            record = _with_text(record, target, node, code)
            parsed = extract(record, schema)
            out.parsed += 1
            entry = quarantine(record, parsed)
            if entry is not None:
                out.quarantine.append(entry)
            statement = next((s for s in parsed.statements if s.target is not None and s.target.id == target.id), None)
            if statement is not None:
                columns = statement.columns
                known = {s.id for s in sources}
                sources += [s for s in statement.sources if s.id not in known and s.id != target.id]
        out.events.append(LineageEvent(
            at=at, query_id=record.query_id, query_type=record.query_type, operation=operation, target=target,
            sources=tuple(s for s in sources if s.id != target.id), replaces=replaces, columns=columns,
            provenance=PROVENANCE))
        out.built += 1
    out.events.sort(key=lambda e: (e.at, e.query_id))
    out.failed.sort()
    return out


def _operation(resource_type: object, materialized: str, full_refresh: bool) -> tuple[Operation, bool]:
    """Return (operation, replaces) of one built node (see the module docstring)."""
    if resource_type == "snapshot":
        return Operation.MERGE, False
    if materialized == "incremental" and not full_refresh:
        return Operation.INSERT, False
    if materialized == "view":
        return Operation.VIEW, True
    return Operation.REPLACE, True


def _with_text(record: QueryRecord, target: DatasetRef, node: dict[str, Any], code: str) -> QueryRecord:
    """Return ``record`` with the statement the relation was built by: a CTAS over the compiled SQL."""
    relation = node.get("relation_name") or ".".join(target.name.split("."))
    body = code.strip().rstrip(";").strip()
    keyword = "VIEW" if target.kind == "view" else "TABLE"
    return replace(record, query_text=f"CREATE OR REPLACE {keyword} {relation} AS\n{body}\n")
